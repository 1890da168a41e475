"""caseroom's I/O layer: HTTP, websocket, auth, CLI. It owns no game rules."""
