/**
 * The Swagger UI initializer of the proxy's `/docs` page, served as
 * `/docs/assets/init.js` (the page's Content-Security-Policy allows no inline
 * script). It reads the contract from `openapi.json` next to `/docs`, resolved
 * from this script's own URL (`/docs/assets/init.js` → `/openapi.json`), so the
 * page also works behind a reverse proxy that mounts the proxy under a path prefix.
 * Nothing is sent anywhere else: no validator badge, no remote config, no
 * `?url=` override, and a pasted token is kept only until the page is left.
 */

const specUrl = new URL("../../openapi.json", document.currentScript.src).href;

// After `#swagger-ui` in the page, so it runs at once. SwaggerUIBundle: the global of
// swagger-ui-bundle.js, loaded just before this script.
globalThis.ui = SwaggerUIBundle({
  url: specUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: false,
  validatorUrl: null,
  queryConfigEnabled: false,
});
