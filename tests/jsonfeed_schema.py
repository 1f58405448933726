"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) as a JSON Schema, for the feed tests of every layer.

The specification publishes no schema of its own; this one encodes the required keys and the types of the
keys the publishing service uses.
"""
_STRING = {"type": "string"}
_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
_AUTHORS = {"type": "array", "items": {"type": "object", "properties": {
    "name": _STRING, "url": _URL, "avatar": _URL}, "anyOf": [
    {"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}]}}
JSON_FEED_1_1_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": _STRING,
        "home_page_url": _URL,
        "feed_url": _URL,
        "description": _STRING,
        "language": _STRING,
        "authors": _AUTHORS,
        "expired": {"type": "boolean"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": _STRING,
                    "url": _URL,
                    "external_url": _URL,
                    "title": _STRING,
                    "content_html": _STRING,
                    "content_text": _STRING,
                    "summary": _STRING,
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "authors": _AUTHORS,
                    "tags": {"type": "array", "items": _STRING},
                    "language": _STRING,
                },
            },
        },
    },
}
