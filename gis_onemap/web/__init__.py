"""The one map page: HTML, JavaScript and CSS, vendored front-end libraries and the base map."""
