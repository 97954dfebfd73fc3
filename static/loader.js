/* Confide loader: what a site owner pastes. Draws a launcher in a shadow root and does nothing
   else until the visitor clicks it: no request, no cookie, no storage, no iframe, no socket. */
(function (w, d) {
  'use strict';
  var script = d.currentScript;
  if (!script || w.__confideLoaded) return;
  w.__confideLoaded = 1;
  var key = script.getAttribute('data-widget') || '';
  var origin = new URL(script.src, d.baseURI).origin;
  var color = script.getAttribute('data-color') || '#2f5bea';
  var label = script.getAttribute('data-label') || 'Chat';
  var left = script.getAttribute('data-position') === 'left';
  var host, root, frame, button, open = false;

  function mount() {
    host = d.createElement('div');
    host.setAttribute('data-confide', '');
    root = host.attachShadow({ mode: 'open' });
    var side = left ? 'left' : 'right';
    var style = d.createElement('style');
    style.textContent =
      ':host{all:initial}' +
      'button{position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;border:0;border-radius:28px;' +
      'height:56px;min-width:56px;padding:0 20px;background:' + color + ';color:#fff;cursor:pointer;' +
      'font:600 15px system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
      'iframe{position:fixed;bottom:88px;' + side + ':20px;z-index:2147483000;width:370px;height:560px;' +
      'max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;border-radius:12px;' +
      'box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff}';
    button = d.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-label', 'Open chat');
    button.textContent = label;
    button.addEventListener('click', toggle);
    root.appendChild(style);
    root.appendChild(button);
    d.body.appendChild(host);
  }

  function toggle() {
    open = !open;
    if (open && !frame) {
      frame = d.createElement('iframe');
      frame.title = 'Chat';
      frame.referrerPolicy = 'no-referrer';
      frame.src = origin + '/w/' + encodeURIComponent(key);
      root.appendChild(frame);
    }
    if (frame) frame.style.display = open ? 'block' : 'none';
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
  }

  if (d.body) mount();
  else d.addEventListener('DOMContentLoaded', mount);
})(window, document);
