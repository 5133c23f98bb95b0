// Swagger UI on our generated OpenAPI document (kept out of the HTML so a strict CSP can forbid inline code).
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#docs", deepLinking: true });
