# The hub + workbench image: JupyterHub 5.5 with KubeSpawner for the Zero to JupyterHub chart's
# hub pod, the workbench service (`workbench serve`), its migrations (`workbench db upgrade`),
# and the MLflow tracking server. One image, so the hub's templates, the service and the
# migrations always come from the same commit.
#
# Build from the repository root:
#   docker build -f deploy/docker/workbench.Dockerfile -t IMAGE:SHA .

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# Dependencies first (the layer is reused until the lock changes), exactly as locked.
COPY deploy/docker/lock.txt deploy/docker/lock.txt
RUN python -m venv /opt/workbench \
    && /opt/workbench/bin/pip install --no-deps --requirement deploy/docker/lock.txt
COPY pyproject.toml README.md ./
COPY workbench workbench
COPY agents agents
COPY tracking tracking
RUN /opt/workbench/bin/pip install --no-deps . \
    && /opt/workbench/bin/python -m compileall -q /opt/workbench/lib

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="multi-llm-workbench" \
      org.opencontainers.image.description="JupyterHub + the workbench service + MLflow server" \
      org.opencontainers.image.licenses="BSD-3-Clause"
# tini reaps the hub's children and forwards signals so pods stop cleanly.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 workbench \
    && useradd --uid 1000 --gid 1000 --home-dir /srv/workbench --create-home \
       --shell /usr/sbin/nologin workbench
COPY --from=build /opt/workbench /opt/workbench
COPY deploy/docker/entrypoint.sh /usr/local/bin/workbench-entrypoint
ENV PATH=/opt/workbench/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    MLFLOW_DISABLE_TELEMETRY=true
USER 1000:1000
WORKDIR /srv/workbench
# 8081: the hub's API; 8888: the workbench service; 5000: the MLflow tracking server.
EXPOSE 8081 8888 5000
ENTRYPOINT ["tini", "--", "workbench-entrypoint"]
CMD ["workbench", "serve"]
