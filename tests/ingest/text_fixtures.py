"""The text fixtures: an HTML page wrapped in navigation, cookie-banner and footer boilerplate,
a Markdown guide with a list and a code block, and small files no loader can read.
"""

from __future__ import annotations

from pathlib import Path

from tests.ingest.fixture_files import write_file

HTML_NAME = "observatory.html"
MARKDOWN_NAME = "deploy-guide.md"

# Files no loader can read, each with (part of) the reason given for skipping it.
UNREADABLE: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n ", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("latin1.txt", "caf\u00e9 cr\u00e8me".encode("latin-1"), "not valid UTF-8"),
]

# --- HTML and Markdown -----------------------------------------------------------------------

_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Visiting the Observatory | Northfield Science Park</title>
  <style>body { font-family: sans-serif; }</style>
  <script>window.dataLayer = [{"event": "tracking-pageview"}];</script>
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <div id="cookie-consent" class="cookie-banner">
    <p>We use cookies to improve your experience. By continuing you accept our cookie policy.</p>
    <button>Accept all cookies</button>
  </div>
  <header class="site-header">
    <a href="/"><img src="logo.png" alt="Northfield Science Park"></a>
    <nav>
      <ul><li><a href="/">Home</a></li><li><a href="/visit">Plan your visit</a></li>
      <li><a href="/shop">Gift shop menu</a></li></ul>
    </nav>
  </header>
  <div class="promo-banner">Members get 20% off in the gift shop this month!</div>
  <main id="main">
    <h1>Visiting the Observatory</h1>
    <p>The Northfield Observatory houses a 60-centimetre reflecting telescope built in 1932.</p>
    <h2>Opening hours</h2>
    <p>The observatory is open to visitors on Friday and Saturday evenings from 8 pm until
       midnight, weather permitting.</p>
    <div class="note">Stargazing sessions are cancelled when the sky is overcast.</div>
    <h2>Tickets</h2>
    <p>Adult tickets cost 12 euros.</p>
    <h3>Discounts</h3>
    <ul>
      <li>Children under twelve enter free of charge.</li>
      <li>Students pay 6 euros with a valid card.</li>
    </ul>
    <table>
      <tr><th>Ticket</th><th>Price</th></tr>
      <tr><td>Family pass</td><td>30 euros</td></tr>
    </table>
  </main>
  <aside><h2>Related</h2><p>Read our blog about the history of the park.</p></aside>
  <footer><p>Copyright 2024 Northfield Science Park. All rights reserved.</p></footer>
  <script src="analytics.js"></script>
</body>
</html>
"""

_MARKDOWN = """---
title: Deployment guide
---
# Deployment guide

This guide explains how to deploy the **Tern** service on a single Linux host.

## Requirements

- Python 3.11 or newer
- 2 GB of free disk space
- a user account with `sudo` rights

## Installing

Install the package, then start the service:

```bash
pip install tern-service
# the service listens on port 7300 by default
tern serve --port 7300
```

### Configuration

Settings are read from [the configuration file](https://example.org/config) at
`/etc/tern/tern.toml`. Restart the service after every change.
"""


def write_observatory_html(folder: Path) -> Path:
    """Main content under h1/h2/h3, wrapped in nav, header, banners, aside and footer."""
    return write_file(folder / HTML_NAME, _HTML)


def write_deploy_markdown(folder: Path) -> Path:
    """Front matter, headings, a list, a fenced code block with a `#` comment, a link."""
    return write_file(folder / MARKDOWN_NAME, _MARKDOWN)
