"""Scale-out fixtures: an S3-compatible server (moto's) on a free loopback port, and a fresh bucket per test.

The server runs in this process for the whole session; the usual AWS variables point botocore (through s3fs)
at it, as a deployment points them at S3 or MinIO. s3fs caches its clients, so the cache is dropped whenever
the endpoint changes.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "calcbridge-test",
    "AWS_SECRET_ACCESS_KEY": "calcbridge-test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def _forget_clients() -> None:
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and a port the system picks; the AWS variables point at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {**AWS_ENV, "AWS_ENDPOINT_URL": endpoint}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    _forget_clients()
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget_clients()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A new, empty bucket on the test server."""
    import s3fs

    name = f"cb-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem().mkdir(name)
    return name
