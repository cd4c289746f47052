# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open every page of the built documentation site in headless Chromium and check it renders and links.

Usage: python hack/docs_browser.py HTML_DIR [--chromium PATH] [--screenshot FILE]
(run with build/docs-venv's Python, which has websocket-client; `make docs-browser` does)

The site is served over HTTP on 127.0.0.1 (a free port) and Chromium is driven through the DevTools protocol.
Every HTML file of the site is opened, and so is every page an internal link reaches. A page fails when:
- it does not finish loading within 30 seconds, or the server answers it with an error;
- a script on it throws, or the browser logs an error;
- one of its own resources (stylesheets, scripts, images, fonts) fails to load;
- it has no title, no visible text, or no stylesheet;
- an internal link on it points to a file that does not exist, or to an anchor the target page does not have.
Links to other sites are counted, not followed (the machine may be offline). The exit status is 1 when any page
or link failed.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import unquote, urldefrag, urlsplit

import websocket

CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync')
PAGE_TIMEOUT = 30.0
START_TIMEOUT = 60.0
# What a page reports about itself once loaded.
INSPECT = r'''JSON.stringify({
  title: document.title,
  text: (document.body ? document.body.innerText : '').trim().length,
  height: document.body ? document.body.getBoundingClientRect().height : 0,
  sheets: document.styleSheets.length,
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
})'''


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory):
        self.failures = []
        handler = functools.partial(Handler, directory=directory)
        super().__init__(('127.0.0.1', 0), handler)


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def send_error(self, code, message=None, explain=None):
        # Browsers ask for /favicon.ico on their own; the site has none.
        if self.path != '/favicon.ico':
            self.server.failures.append('%s %s' % (code, self.path))
        super().send_error(code, message, explain)


class Browser:
    """Headless Chromium with a fresh profile, driven over one DevTools WebSocket (flattened sessions)."""

    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix='emnify-docs-chromium-')
        command = [chromium, *CHROMIUM_FLAGS, '--user-data-dir=' + self.profile, '--remote-debugging-port=0',
                   '--remote-debugging-address=127.0.0.1', 'about:blank']
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                        stderr=subprocess.PIPE)
        # Chromium writes the port it listens on, and the browser's WebSocket path, into the profile.
        port_file = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.monotonic() + START_TIMEOUT
        while len(read_words(port_file)) < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                error = self.process.stderr.read().decode('utf-8', 'replace') if self.process.poll() is not None else ''
                self.close()
                raise RuntimeError('Chromium did not start: %s' % error[-2000:])
            time.sleep(0.1)
        port, path = read_words(port_file)[:2]
        self.socket = websocket.create_connection('ws://127.0.0.1:%s%s' % (port, path), suppress_origin=True,
                                                  timeout=PAGE_TIMEOUT)
        self.next_id = 0
        self.events = []
        self.version = self.call('Browser.getVersion')['product']
        target = self.call('Target.createTarget', url='about:blank')['targetId']
        self.session = self.call('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        for domain in ('Page', 'Runtime', 'Network', 'Log'):
            self.call(domain + '.enable', session=True)

    def call(self, method, session=False, **params):
        self.next_id += 1
        message = dict(id=self.next_id, method=method, params=params)
        if session:
            message['sessionId'] = self.session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + PAGE_TIMEOUT
        while time.monotonic() < deadline:
            reply = json.loads(self.socket.recv())
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError('%s: %s' % (method, reply['error'].get('message')))
                return reply.get('result', {})
            if 'method' in reply:
                self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event['method'] == method:
                    return True
            self.socket.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self.socket.recv()))
            except websocket.WebSocketTimeoutException:
                break
        return False

    def open(self, url):
        """Load ``url``; return (facts about the page, problems seen while loading)."""
        self.events = []
        result = self.call('Page.navigate', session=True, url=url)
        problems = []
        if result.get('errorText'):
            return None, ['did not load: %s' % result['errorText']]
        if not self.wait_for('Page.loadEventFired', PAGE_TIMEOUT):
            return None, ['did not finish loading within %d s' % PAGE_TIMEOUT]
        facts = json.loads(self.call('Runtime.evaluate', session=True, expression=INSPECT, returnByValue=True)
                           ['result']['value'])
        origin = '{0.scheme}://{0.netloc}'.format(urlsplit(url))
        for event in self.events:
            params = event.get('params', {})
            if event['method'] == 'Runtime.exceptionThrown':
                details = params.get('exceptionDetails', {})
                problems.append('script error: %s' % (details.get('exception', {}).get('description') or details.get('text')))
            elif event['method'] == 'Log.entryAdded' and params.get('entry', {}).get('level') == 'error':
                if not params['entry'].get('url', '').endswith('/favicon.ico'):
                    problems.append('browser error: %s' % params['entry'].get('text'))
            elif event['method'] == 'Network.responseReceived':
                response = params.get('response', {})
                if response.get('url', '').startswith(origin) and response.get('status', 200) >= 400:
                    problems.append('HTTP %s for %s' % (response['status'], response['url']))
            elif event['method'] == 'Network.loadingFailed' and not params.get('canceled'):
                problems.append('failed to load a resource: %s' % params.get('errorText'))
        return facts, problems

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', session=True, format='png')['data']
        with open(path, 'wb') as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        except Exception:  # pylint: disable=broad-except
            pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def read_words(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read().split()
    except FileNotFoundError:
        return []


def local_path(html_dir, url):
    """The file an internal URL is served from, or None when there is none."""
    path = os.path.normpath(os.path.join(html_dir, unquote(urlsplit(url).path).lstrip('/')))
    if os.path.isdir(path):
        path = os.path.join(path, 'index.html')
    return path if path.startswith(html_dir) and os.path.isfile(path) else None


def check_site(html_dir, chromium, screenshot=None):
    html_dir = os.path.abspath(html_dir)
    pages = sorted(os.path.relpath(os.path.join(top, name), html_dir).replace(os.sep, '/')
                   for top, dummy, names in os.walk(html_dir) for name in names if name.endswith('.html'))
    if 'index.html' not in pages:
        print('docs-browser: %s has no index.html: run make docs first' % html_dir, file=sys.stderr)
        return 1
    server = Server(html_dir)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = 'http://127.0.0.1:%d/' % server.server_address[1]
    browser = Browser(chromium)
    failures = []
    opened = {}
    links = []
    external = set()
    try:
        print('docs-browser: %s, site served at %s' % (browser.version, base))
        queue = [base + page for page in pages]
        while queue:
            url = queue.pop(0)
            if url in opened:
                continue
            facts, problems = browser.open(url)
            opened[url] = facts
            if facts is not None:
                if not facts['title'].strip():
                    problems.append('has no title')
                if facts['text'] < 20 or facts['height'] <= 0:
                    problems.append('shows no text')
                if facts['sheets'] < 1:
                    problems.append('has no stylesheet')
                for link in facts['links']:
                    if link.startswith(base):
                        links.append((url, link))
                        target = urldefrag(link)[0].split('?')[0]
                        if target.endswith('.html') or target.endswith('/'):
                            path = local_path(html_dir, target)
                            if path is not None:
                                queue.append(base + os.path.relpath(path, html_dir).replace(os.sep, '/'))
                    elif link.startswith(('http://', 'https://')):
                        external.add(link)
            failures.extend('%s: %s' % (url[len(base):], problem) for problem in problems)
            if url == base + 'index.html' and screenshot and facts is not None:
                browser.screenshot(screenshot)
        for page, link in links:
            target, fragment = urldefrag(link)
            target = target.split('?')[0]
            path = local_path(html_dir, target)
            if path is None:
                failures.append('%s: broken link to %s' % (page[len(base):], link[len(base):]))
                continue
            if fragment and path.endswith('.html'):
                facts = opened.get(base + os.path.relpath(path, html_dir).replace(os.sep, '/'))
                if facts is not None and unquote(fragment) not in facts['ids']:
                    failures.append('%s: link to %s: the page has no anchor #%s' % (page[len(base):], link[len(base):], fragment))
    finally:
        browser.close()
        server.shutdown()
    failures.extend('server answered %s' % failure for failure in sorted(set(server.failures)))
    for failure in failures:
        print('docs-browser: FAILED %s' % failure, file=sys.stderr)
    print('docs-browser: %d pages opened, %d internal links checked, %d links to other sites not followed; %d problems'
          % (len(opened), len(links), len(external), len(failures)))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('html_dir')
    parser.add_argument('--chromium', default=shutil.which('chromium') or 'chromium')
    parser.add_argument('--screenshot', help='write a PNG of the start page here')
    args = parser.parse_args()
    return check_site(args.html_dir, args.chromium, args.screenshot)


if __name__ == '__main__':
    sys.exit(main())
