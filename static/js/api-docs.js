// The API page: Swagger UI (vendored) renders /api/v1/openapi.json. Nothing leaves the site:
// no validator badge, no external links fetched.
(function () {
  const target = document.getElementById("swagger-ui");
  if (!target || !window.SwaggerUIBundle) return;
  const csrf = document.querySelector('meta[name="csrf-token"]');
  window.SwaggerUIBundle({
    url: target.dataset.url,
    domNode: target,
    validatorUrl: null,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" from a logged-in browser: writes need the page's CSRF token.
    requestInterceptor: function (request) {
      if (csrf) request.headers["X-CSRFToken"] = csrf.content;
      return request;
    },
  });
})();
