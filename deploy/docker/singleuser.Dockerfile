# The single-user image: JupyterLab for each user's pod, with the workbench package installed
# (the REST client `workbench.client`, the `agents` engine and `tracking.analysis`), so
# notebooks run and compare agents with the same engine the service uses. It never receives
# the database URL or the master keys: notebooks reach the workbench over its REST API with the
# user's hub token ($JUPYTERHUB_API_TOKEN, WORKBENCH_API_URL).
#
# Build from the repository root:
#   docker build -f deploy/docker/singleuser.Dockerfile -t IMAGE:SHA .

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
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
LABEL org.opencontainers.image.title="multi-llm-workbench-singleuser" \
      org.opencontainers.image.description="JupyterLab with the workbench client and agent engine" \
      org.opencontainers.image.licenses="BSD-3-Clause"
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini ca-certificates git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1000 --gid 100 --home-dir /home/jovyan --create-home \
       --shell /bin/bash jovyan
COPY --from=build /opt/workbench /opt/workbench
COPY --chown=1000:100 notebooks /usr/local/share/workbench/notebooks
ENV PATH=/opt/workbench/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    SHELL=/bin/bash
USER 1000:100
WORKDIR /home/jovyan
EXPOSE 8888
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub-singleuser"]
