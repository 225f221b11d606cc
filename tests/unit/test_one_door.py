"""One door: adapters reach the core only through the Bot facade, and no module imports in a circle.

In the style of the SQL-parameter scan in test_security.py: the source is read as an AST, so a
function-level import or an attribute hidden in a lambda counts as much as a module-level one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from bot.core.context import Context, Problem, Refused
from tests.conftest import REPO, Harness, local

BOT = REPO / "bot"
ADAPTERS = BOT / "adapters"
# What an adapter may import of Uppsikt: the facade, the message types and the catalogue (and other adapters).
ALLOWED_BOT_MODULES = {"bot.facade", "bot.messages", "bot.i18n"}
PLATFORM_LIBRARIES = {"slack_bolt", "slack_sdk", "aiohttp", "microsoft_agents", "jwt"}  # jwt: the Teams SDK's own token library
FORBIDDEN_ATTRIBUTES = {"lock", "db", "ctx"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, module, under `if TYPE_CHECKING:`) for every import anywhere in the tree; `from a import b`
    counts as importing a.b too when a.b is a module."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def typing_only(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                return True
        return False

    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, typing_only(node)) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: relative import"
            out.append((node.lineno, node.module or "", typing_only(node)))
            out += [(node.lineno, f"{node.module}.{a.name}", typing_only(node)) for a in node.names
                    if (BOT.parent / f"{node.module}.{a.name}".replace(".", "/")).with_suffix(".py").exists()
                    or (BOT.parent / f"{node.module}.{a.name}".replace(".", "/") / "__init__.py").exists()]
    return out


def adapter_files() -> list[Path]:
    files = sorted(ADAPTERS.rglob("*.py"))
    assert len(files) > 10, "the adapters moved: update ADAPTERS"
    return files


def test_adapters_import_only_the_facade_messages_i18n_and_their_platform_libraries():
    wrong = []
    for path in adapter_files():
        for line, name, _ in imports(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top == "bot":
                if name in ALLOWED_BOT_MODULES or name in ("bot", "bot.adapters") or name.startswith("bot.adapters."):
                    continue
            elif top in sys.stdlib_module_names or top in PLATFORM_LIBRARIES or top == "__future__":
                continue
            wrong.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    assert not wrong, "adapters reach the core through bot.facade only:\n" + "\n".join(wrong)


def test_adapters_never_touch_the_lock_the_database_or_the_context():
    wrong = []
    for path in adapter_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert not wrong, "adapters use the facade's methods instead:\n" + "\n".join(wrong)


def test_the_scans_see_what_they_look_for(tmp_path):
    """The two scans are not vacuous: a forbidden import and attribute inside a function are found."""
    tree = ast.parse("def f(bot):\n    from bot.core import items\n    with bot.lock:\n        return bot.ctx\n")
    assert [n for _, n, _ in imports(tree)] == ["bot.core", "bot.core.items"]
    assert {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} == {"lock", "ctx"}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in BOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = {m for _, m, typing in imports(ast.parse(path.read_text(encoding="utf-8")))
                if not typing and m in modules and m != name}
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_function_level_imports_included():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# --------------------------------------------------------------------------- structured refusals


def test_an_account_request_is_refused_with_every_problem_structured(settings):
    """Several problems travel together, each with its catalogue key, field(s) and values."""
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    with pytest.raises(Refused) as caught:
        h.bot.request_account("omar@example.se", {"id": "Bad Id!", "platform": "myspace", "channel": "krisgruppen",
                                                  "owner": "nobody@example.se"})
    problems = {p.key: p for p in caught.value.problems}
    assert problems["lifecycle.bad_id"].fields == ("id",)
    assert dict(problems["lifecycle.bad_id"].values) == {"value": "bad id!"}  # as normalised before the checks
    assert problems["lifecycle.bad_platform"].fields == ("platform",)
    assert problems["lifecycle.unknown_person"].fields == ("owner",)
    assert set(problems["lifecycle.missing"].fields) >= {"name", "unit", "purpose"}
    # the sentence is the same text the user reads, rebuilt from the structure
    for p in caught.value.problems:
        assert "• " + h.ctx.t(p.key, **dict(p.values)) in str(caught.value)


def test_a_refused_button_says_which_field_it_is_about(settings):
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    item, _ = h.bot.intake("facebook", "När öppnar simhallen?", author="Anna")
    reply = h.bot.action(item["assignee"], "reassign", str(item["id"]), to="omar@example.se", reason="  ")
    assert not reply.ok
    assert [(p.key, p.field) for p in reply.data["problems"]] == [("item.reassign_needs_reason", "reason")]


def test_a_plain_refusal_has_no_problems_and_ctx_refusal_has_one(settings):
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    assert Refused("x").problems == () and Refused("x").field is None
    exc = h.ctx.refusal("error.unknown_person", "owner", email="a@b.se")
    assert isinstance(exc, Refused) and exc.field == "owner"
    assert exc.problems == (Problem("error.unknown_person", ("owner",), (("email", "a@b.se"),)),)
    assert str(exc) == h.ctx.t("error.unknown_person", email="a@b.se")
    assert isinstance(h.ctx, Context)


def test_every_refusal_in_the_code_carries_its_catalogue_key():
    """Structured refusals (issue 9 point 3): a sentence from the catalogue is never wrapped in a bare
    Refused(...); `ctx.refusal(key, field, **values)` carries the key, the field and the values, so an
    adapter never parses the text back. Only refusals that join several sentences (with their problems)
    or pass text that is not a catalogue sentence may build Refused themselves."""
    wrong = []
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Refused"
                    and node.args and isinstance(node.args[0], ast.Call)
                    and isinstance(node.args[0].func, ast.Attribute) and node.args[0].func.attr == "t"
                    and not node.keywords):
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not wrong, "raise ctx.refusal(key, ...) instead of Refused(ctx.t(key, ...)):\n" + "\n".join(wrong)


def test_a_command_refusal_reaches_the_adapter_with_its_key(settings):
    """What the facade hands an adapter: the sentence and, structured, the key and values it came from."""
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    reply = h.bot.command("lena@example.se", "/ärende 99999 ta")
    assert not reply.ok
    problems = reply.data["problems"]
    assert [p.key for p in problems] == ["item.not_found"] and dict(problems[0].values) == {"id": 99999}
    assert reply.text == h.ctx.t("item.not_found", id=99999)
