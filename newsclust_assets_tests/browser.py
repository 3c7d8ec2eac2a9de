"""A real headless Chromium (Debian's ``chromium`` package) driven by Playwright.

``make test`` installs the package when it is missing (``apt-get install -y chromium``);
Playwright's own browser download is never used: the browser is launched from
``/usr/bin/chromium`` (``NEWSCLUST_CHROMIUM`` overrides). In CI a missing browser fails
the test; elsewhere it skips with the command that installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest


def chromium_path() -> str:
    path = os.environ.get("NEWSCLUST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Chromium not found: apt-get install -y chromium (make test does it when it can)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 900):
    """A page of a fresh headless Chromium; dialogs (alert, confirm) are recorded in
    ``page.dialogs`` and dismissed, so a script in the page cannot block the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.dialogs = []

            def on_dialog(dialog):
                page.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            yield page
        finally:
            browser.close()
