-- mixed.lua: wrk's mixed load over every program, recording what the
-- server acknowledged so a test can check the database afterwards.
--   MIXED_KEY, MIXED_TOKEN  an API key and an access token (kv read+write);
--                           each refresh answer replaces the token
--   MIXED_INST              the installation of the KV records
--   MIXED_HOOKS             signed ping deliveries, "guid sig body" a line
--   MIXED_OUT               where each thread writes what it saw
--   MIXED_RUN               a name for this run, in its KV keys (optional)
-- Run with as many threads as connections (-t N -c N): one connection a
-- thread means each response answers the thread's last request.
local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("id", nthreads)
	table.insert(threads, thread)
end

local ops = { "refresh", "whoami", "kvget", "kvput", "cas", "wmlist", "hook" }
local key, token, inst, out, run
local hooks = {}
local n, pending, seq = 0, nil, 0
local casver, casval, cassync = nil, 0, false
-- Globals, so that done() can read them from each thread.
acked = {}
counts = {}

function init(args)
	key = os.getenv("MIXED_KEY")
	token = os.getenv("MIXED_TOKEN")
	inst = os.getenv("MIXED_INST")
	out = os.getenv("MIXED_OUT")
	run = os.getenv("MIXED_RUN") or "0"
	-- Each thread takes every nthreads-th delivery, its own share.
	local i = 0
	for line in io.lines(os.getenv("MIXED_HOOKS")) do
		if i % tonumber(os.getenv("MIXED_THREADS")) == id - 1 then
			local g, s, b = line:match("^(%S+) (%S+) (.*)$")
			table.insert(hooks, { g, s, b })
		end
		i = i + 1
	end
end

local function bearer(t)
	return { ["Authorization"] = "Bearer " .. t }
end

local function kvpath(k, verb)
	return "/api/v1/github/kv/" .. inst .. "/" .. (verb or "key") .. "/" .. k
end

function request()
	n = n + 1
	local op = ops[(n + id) % #ops + 1]
	if op == "hook" and #hooks == 0 then
		op = "whoami"
	end
	pending = { op = op }
	if op == "refresh" then
		local h = bearer(key)
		h["Content-Length"] = "0"
		return wrk.format("POST", "/api/v1/access-token/refresh", h, "")
	elseif op == "whoami" then
		return wrk.format("GET", "/api/v1/whoami", bearer(token))
	elseif op == "kvget" then
		return wrk.format("GET", kvpath("mixed.read"), bearer(token))
	elseif op == "kvput" then
		seq = seq + 1
		pending.key = "mixed.put/" .. run .. "/" .. id .. "/" .. seq
		local h = bearer(token)
		h["Content-Type"] = "application/json"
		return wrk.format("PUT", kvpath(pending.key), h,
		    '{"data": ' .. seq .. '}')
	elseif op == "cas" then
		local ck = "mixed.cas/" .. run .. "/" .. id
		if cassync then
			pending.op = "cassync"
			return wrk.format("GET", kvpath(ck), bearer(token))
		end
		pending.val = casval + 1
		local body = '{"data": ' .. pending.val
		if casver then
			body = body .. ', "version": ' .. casver
		end
		local h = bearer(token)
		h["Content-Type"] = "application/json"
		return wrk.format("PUT", kvpath(ck, "cas/key"), h, body .. "}")
	elseif op == "wmlist" then
		return wrk.format("GET", "/api/v1/github/installations/" .. inst ..
		    "/work-manifests?limit=5", bearer(token))
	else
		local d = table.remove(hooks)
		pending.guid = d[1]
		return wrk.format("POST", "/api/github/v1/events", {
			["Content-Type"] = "application/json",
			["X-GitHub-Event"] = "ping",
			["X-GitHub-Delivery"] = d[1],
			["X-Hub-Signature-256"] = d[2],
		}, d[3])
	end
end

function response(status, headers, body)
	local p = pending
	if p == nil then
		return
	end
	pending = nil
	local c = p.op .. " " .. status
	counts[c] = (counts[c] or 0) + 1
	if p.op == "refresh" and status == 200 then
		-- Access tokens live 60 s: a long run goes on with the newest.
		token = body:match('"access_token":%s*"([^"]+)"') or token
	elseif p.op == "kvput" and status == 200 then
		table.insert(acked, "put " .. p.key)
	elseif p.op == "hook" and status >= 200 and status < 300 then
		table.insert(acked, "hook " .. p.guid)
	elseif p.op == "cas" then
		if status == 200 then
			casver = tonumber(body:match('"version":%s*(%d+)'))
			casval = p.val
			table.insert(acked, "cas mixed.cas/" .. run .. "/" .. id .. " " .. p.val)
		elseif status == 409 then
			-- A write whose answer was lost may have landed: read it.
			cassync = true
		end
	elseif p.op == "cassync" and status == 200 then
		casver = tonumber(body:match('"version":%s*(%d+)'))
		casval = tonumber(body:match('"data":%s*(%d+)'))
		cassync = false
	end
end

-- Each thread's tallies and acknowledgements go to its own file when the
-- run ends (wrk calls done once, in the main thread; it reads the
-- threads' globals).
function done(summary, latency, requests)
	local out = os.getenv("MIXED_OUT")
	for _, t in ipairs(threads) do
		local f = io.open(out .. "/thread." .. t:get("id"), "w")
		for k, v in pairs(t:get("counts")) do
			f:write("count " .. k .. " " .. v .. "\n")
		end
		for _, a in ipairs(t:get("acked")) do
			f:write(a .. "\n")
		end
		f:close()
	end
	local f = io.open(out .. "/summary", "w")
	f:write("requests " .. summary.requests .. "\n")
	f:write("connect " .. summary.errors.connect .. "\n")
	f:write("read " .. summary.errors.read .. "\n")
	f:write("write " .. summary.errors.write .. "\n")
	f:write("status " .. summary.errors.status .. "\n")
	f:write("timeout " .. summary.errors.timeout .. "\n")
	f:close()
end
