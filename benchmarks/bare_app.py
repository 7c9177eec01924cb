"""The reference for page throughput: bare Flask answering a small HTML page, served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
@app.get("/")
def hello() -> str:
    return "<!doctype html><title>bare</title><p>Hello</p>"
