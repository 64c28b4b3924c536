-- wrk script for bench/http.sh: POST the OIP v2 request body on every request.
-- Body file: $BODY_FILE, default examples/models/breast_cancer/request.json (run from repo root).
-- Deliberately no response()/done() hooks: Lua callbacks per response slow wrk itself down;
-- wrk already reports "Non-2xx or 3xx responses" and http.sh checks for it.
local path = os.getenv("BODY_FILE") or "examples/models/breast_cancer/request.json"
local f = assert(io.open(path, "rb"), "post.lua: cannot open body file " .. path)
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
