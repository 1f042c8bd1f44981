"""The API reference page, rendered from the app's OpenAPI schema with no scripts or styles from elsewhere
(the stock Swagger and ReDoc pages load theirs from a CDN, which an offline tool cannot)."""

from __future__ import annotations

import html
import json


def render_docs(schema: dict) -> str:
    info = schema.get("info", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>emohead API</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow:auto}"
        ".m{display:inline-block;min-width:3.5rem;font-weight:bold}.get{color:#05668d}.post{color:#2a9d8f}"
        "section{border-top:1px solid #ddd;padding:.4rem 0}td{padding:.1rem .6rem;vertical-align:top}</style></head><body>",
        f"<h1>{_e(info.get('title', 'API'))} {_e(info.get('version', ''))}</h1><p>{_e(info.get('description', ''))}</p>",
        '<p>Errors come as <code>{"error": "one line naming the problem and the fix"}</code>. With a token set, send '
        "<code>Authorization: Bearer TOKEN</code>. The machine-readable schema: <a href='openapi.json'>openapi.json</a>.</p>",
        '<pre>curl -F portrait=@face.jpg -F audio=@speech.wav -F \'options={"emotion": "happy"}\' http://127.0.0.1:7860/api/v1/generate\n'
        "curl http://127.0.0.1:7860/api/v1/jobs/ID            # until state is done\n"
        "curl -o out.mp4 http://127.0.0.1:7860/api/v1/jobs/ID/video</pre>",
    ]
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(f"<section><h3><span class='m {method}'>{method.upper()}</span> <code>{_e(path)}</code></h3>")
            parts.append(f"<p>{_e(op.get('description') or op.get('summary', ''))}</p>")
            rows = [
                (p["name"], p.get("in", ""), p.get("schema", {}).get("type", ""), p.get("description", ""))
                for p in op.get("parameters", [])
            ]
            rows += _body_fields(schema, op)
            if rows:
                parts.append(
                    "<table>"
                    + "".join(
                        f"<tr><td><code>{_e(n)}</code></td><td>{_e(w)}</td><td>{_e(t)}</td><td>{_e(d)}</td></tr>" for n, w, t, d in rows
                    )
                    + "</table>"
                )
            codes = ", ".join(f"{c} {_e(r.get('description', ''))}" for c, r in op.get("responses", {}).items())
            parts.append(f"<p><small>Responses: {codes}</small></p></section>")
    parts.append("</body></html>")
    return "".join(parts)


def _body_fields(schema: dict, op: dict) -> list[tuple[str, str, str, str]]:
    content = op.get("requestBody", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        body = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        required = set(body.get("required", []))
        return [
            (name, "form" + (", required" if name in required else ""), _type(field), field.get("description", ""))
            for name, field in body.get("properties", {}).items()
        ]
    return []


def _type(field: dict) -> str:
    if "anyOf" in field:
        return " or ".join(_type(f) for f in field["anyOf"])
    return "file" if field.get("format") == "binary" or field.get("contentMediaType") else field.get("type", json.dumps(field)[:30])


def _e(text) -> str:
    return html.escape(str(text))
