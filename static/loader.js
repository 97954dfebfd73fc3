/* Confide loader (docs/embedding.md): a launcher in a shadow root. Until a click or
   confide('open'): no request, cookie, storage, iframe or socket. Keep <= 2 KB gzip. */
(function (w, d) {
  'use strict';
  var script = d.currentScript;
  if (!script || w.__confideLoaded) return;
  w.__confideLoaded = 1;
  var attr = function (n) { return script.getAttribute('data-' + n); };
  var router = attr('router'), key = router || attr('widget') || '';
  // The chat server; data-origin when self-hosted.
  var origin = new URL(attr('origin') || script.src, d.baseURI).origin;
  var side = attr('position') === 'left' ? 'left' : 'right';
  var handlers = {}, ready = 0, unread = 0, open = false, text = attr('label') || 'Chat';
  var host, root, frame, button, badge;
  // Calls queue in confide.q until mounted.
  var stub = w.confide = w.confide || function () { (stub.q = stub.q || []).push(arguments); };

  function emit(name, arg) {
    (handlers[name] || []).slice().forEach(function (f) { f(arg); });
  }

  // Seen? Which page? (standard mode only sends it on)
  function sync() {
    if (!frame) return;
    frame.style.display = open ? 'block' : 'none';
    frame.contentWindow.postMessage({ confide: 'state', open: open && host.style.display != 'none', page: location.href, ref: d.referrer }, origin);
  }

  function set(o) {
    if (o == open) return;
    open = o;
    if (open && !frame) {
      frame = d.createElement('iframe');
      frame.title = text;
      frame.referrerPolicy = 'no-referrer';
      var lang = attr('lang');
      frame.src = origin + (router ? '/r/' : '/w/') + encodeURIComponent(key) + (lang ? '?lang=' + encodeURIComponent(lang) : '');
      root.appendChild(frame);
      w.addEventListener('message', receive);
    }
    sync();
    button.setAttribute('aria-expanded', open);
    open ? frame.focus() : d.activeElement == host && button.focus();
    emit(open ? 'open' : 'close');
  }

  // Only the widget's own frame, from the chat origin.
  function receive(e) {
    var m = e.data;
    if (e.origin !== origin || e.source !== frame.contentWindow || !m) return;
    if (m.confide == 'ready') sync();
    else if (m.confide == 'close') set(false);
    else if (m.confide == 'unread') {
      var n = Math.max(0, Math.min(+m.count || 0, 999)), more = n > unread;
      unread = n;
      badge.textContent = n ? (n > 99 ? '99+' : n) : '';
      if (more) emit('message', { unread: n });
    }
  }

  function api(cmd, a, b) {
    if (cmd == 'on') {
      if (typeof b != 'function') return;
      (handlers[a] = handlers[a] || []).push(b);
      if (a == 'ready' && ready) b();
    } else if (cmd == 'open' || cmd == 'close') set(cmd == 'open');
    else if (cmd == 'hide' || cmd == 'show') {
      host.style.display = cmd == 'hide' ? 'none' : '';
      sync();
    }
  }

  function mount() {
    host = d.createElement('div');
    host.setAttribute('data-confide', '');
    root = host.attachShadow({ mode: 'open' });
    var css =
      ':host{all:initial}' +
      'button{position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;border:0;border-radius:28px;' +
      'height:56px;min-width:56px;padding:0 20px;background:' + (attr('color') || '#2f5bea') + ';color:#fff;cursor:pointer;' +
      'font:600 15px system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
      'span{position:absolute;top:-6px;' + side + ':-6px;min-width:22px;height:22px;padding:0 6px;box-sizing:border-box;' +
      'border-radius:11px;background:#d92d20;font:700 12px/22px system-ui,sans-serif;text-align:center}' +
      'span:empty{display:none}' +
      'iframe{position:fixed;bottom:88px;' + side + ':20px;z-index:2147483000;width:370px;height:560px;' +
      'max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;border-radius:12px;' +
      'box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff}';
    // CSSOM passes a strict host style-src; else <style>.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = d.createElement('style');
      style.textContent = css;
      root.appendChild(style);
    }
    button = d.createElement('button');
    button.type = 'button';
    button.textContent = text;
    button.setAttribute('aria-expanded', open);
    badge = d.createElement('span');
    button.appendChild(badge);
    button.addEventListener('click', function () { set(!open); });
    root.appendChild(button);
    d.body.appendChild(host);
    var queued = stub.q || [];
    w.confide = api;
    for (var i = 0; i < queued.length; i++) api.apply(null, queued[i]);
    ready = 1;
    emit('ready');
  }

  if (d.body) mount();
  else d.addEventListener('DOMContentLoaded', mount);
})(window, document);
