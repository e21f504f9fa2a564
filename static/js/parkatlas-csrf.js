/*
 * ParkAtlas CSRF bridge: every same-origin request that can change data carries
 * this session's token, read from <meta name="csrf-token"> (base.html).
 *
 * - fetch() and XMLHttpRequest get the X-CSRF-Token header on POST/PUT/PATCH/DELETE;
 * - a POST form without a csrf_token field gets one when it is submitted
 *   (templates normally write it with {{ csrf_field() }}; this covers the rest).
 * The server checks the token in one before_request hook (web/auth.py).
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var HEADER = "X-CSRF-Token";
  var FIELD = "csrf_token";
  var UNSAFE = { POST: true, PUT: true, PATCH: true, DELETE: true };

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  window.parkatlas = window.parkatlas || {};
  window.parkatlas.csrfToken = token;

  if (window.fetch) {
    var originalFetch = window.fetch;
    window.fetch = function (input, init) {
      init = init || {};
      var method = (init.method || (input && input.method) || "GET").toUpperCase();
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (token && UNSAFE[method] && sameOrigin(url)) {
        var headers = new Headers(init.headers || (input && input.headers) || {});
        if (!headers.has(HEADER)) {
          headers.set(HEADER, token);
        }
        init = Object.assign({}, init, { headers: headers });
      }
      return originalFetch.call(this, input, init);
    };
  }

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this._parkatlasUnsafe = UNSAFE[String(method).toUpperCase()] && sameOrigin(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (token && this._parkatlasUnsafe) {
      this.setRequestHeader(HEADER, token);
    }
    return send.apply(this, arguments);
  };

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!token || !form || String(form.method).toUpperCase() !== "POST" || !sameOrigin(form.action)) {
        return;
      }
      if (!form.querySelector('input[name="' + FIELD + '"]')) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = FIELD;
        input.value = token;
        form.appendChild(input);
      }
    },
    true
  );
})();
