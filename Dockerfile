# Uppsikt in a container. Build: docker build -t uppsikt .   Run and back up: docs/production.md.
# The image runs `uppsikt` as PID 1 in exec form (no shell in between), so a stop's SIGTERM reaches it
# and every run mode stops cleanly; the database lives in the /data volume.

FROM python:3.13-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UPPSIKT_DATA=/data \
    UPPSIKT_LOG_FORMAT=json \
    UPPSIKT_LOG_LEVEL=INFO
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin uppsikt \
    && mkdir -p /data \
    && chown uppsikt:uppsikt /data
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
# 3000: Slack over HTTP (run --http), 3978: Teams (run --teams). Socket Mode needs no port.
EXPOSE 3000 3978
# GET /healthz of the HTTP modes when UPPSIKT_HEALTHZ_URL is set (compose.yaml sets it); healthy otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["uppsikt"]
CMD ["run"]
