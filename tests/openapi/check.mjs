// check.mjs: keeps docs/openapi.yaml and the programs from drifting apart.
//
//   node check.mjs document DOC.json TOP
//       DOC is a valid OpenAPI 3.1 document, every schema in it compiles
//       (strict JSON Schema 2020-12), and the route tables of TOP/cgi-bin/*.c
//       and the document name the same operations, path parameter types,
//       capabilities, credentials and request bodies.
//   node check.mjs responses DOC.json LOG LABEL
//       every response the integration suite recorded in LOG (see
//       tests/harness/lib.sh, record_response) against DOC: one TAP line per
//       (method, path template, status), failing on an undocumented pair or
//       on a body or header that does not match.
//
// Node modules come from $OPENAPI_TOOLS/node_modules (tests/openapi/install.sh).

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const TOOLS = process.env.OPENAPI_TOOLS;
if (!TOOLS) {
	console.log("not ok - openapi: OPENAPI_TOOLS is not set");
	process.exit(1);
}
const require = createRequire(join(TOOLS, "package.json"));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const DOC_ID = "openapi.json";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
let label = "";
let failures = 0;

function tap(ok, what, why) {
	console.log(`${ok ? "ok" : "not ok"} - ${label}openapi: ${what}`);
	if (!ok) {
		failures++;
		for (const line of [].concat(why ?? []))
			console.log(`# ${String(line).replace(/\n/g, " ").slice(0, 600)}`);
	}
}

// JSON pointer of a path's segments, and the object it names.
function pointer(parts) {
	return "#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

function deref(doc, obj) {
	let seen = 0;
	while (obj && typeof obj.$ref === "string" && seen++ < 16) {
		const ref = obj.$ref;
		if (!ref.startsWith("#/"))
			throw new Error(`external $ref ${ref}`);
		obj = ref.slice(2).split("/").reduce((o, k) =>
		    o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
		if (obj === undefined)
			throw new Error(`$ref ${ref} names nothing`);
	}
	return obj;
}

// Where a (possibly $ref'd) object lives, as a pointer for Ajv.
function locate(doc, obj, at) {
	while (obj && typeof obj.$ref === "string") {
		at = obj.$ref;
		obj = deref(doc, { $ref: obj.$ref });
	}
	return at;
}

function newAjv(doc, strict) {
	const ajv = new Ajv2020({
		strict, strictTypes: false, strictTuples: false, strictRequired: false,
		allErrors: true, validateFormats: true,
	});
	addFormats(ajv);
	// The document is added whole so that its "#/..." references resolve;
	// its own top-level members are not schema keywords.
	for (const k of ["openapi", "info", "jsonSchemaDialect", "servers",
	    "paths", "webhooks", "components", "security", "tags", "externalDocs"])
		ajv.addKeyword(k);
	ajv.addSchema(doc, DOC_ID);
	return ajv;
}

// Every operation of the document: { method, path, op, item }.
function operations(doc) {
	const out = [];
	for (const [path, raw] of Object.entries(doc.paths ?? {})) {
		const item = deref(doc, raw);
		for (const m of METHODS)
			if (item[m])
				out.push({ method: m.toUpperCase(), path, op: item[m], item });
	}
	return out;
}

function params(doc, o) {
	return [...(o.item.parameters ?? []), ...(o.op.parameters ?? [])]
	    .map((p) => deref(doc, p));
}

// --- document mode -------------------------------------------------------

async function checkDocument(docFile, top) {
	const doc = JSON.parse(readFileSync(docFile, "utf8"));
	const { Validator } = await import(pathToFileURL(join(TOOLS,
	    "node_modules/@seriousme/openapi-schema-validator/index.js")));
	const v = new Validator();
	const res = await v.validate(doc);
	tap(res.valid && v.version === "3.1",
	    `${docFile.replace(/.*\//, "")} is a valid OpenAPI 3.1 document`,
	    res.valid ? `version ${v.version}` : JSON.stringify(res.errors).slice(0, 2000));

	// Every schema compiles under strict JSON Schema (typos are errors).
	const ajv = newAjv(doc, true);
	const bad = [];
	let n = 0;
	const compile = (at) => {
		n++;
		try {
			ajv.compile({ $ref: DOC_ID + at });
		} catch (e) {
			bad.push(`${at}: ${e.message}`);
		}
	};
	for (const k of Object.keys(doc.components?.schemas ?? {}))
		compile(pointer(["components", "schemas", k]));
	for (const o of operations(doc)) {
		for (const [st, r] of Object.entries(o.op.responses ?? {})) {
			const at = locate(doc, r, pointer(["paths", o.path, o.method.toLowerCase(), "responses", st]));
			const resp = deref(doc, r);
			for (const [ct, media] of Object.entries(resp.content ?? {}))
				if (media.schema)
					compile(`${at}/content/${ct.replace(/\//g, "~1")}/schema`);
			for (const [h, hv] of Object.entries(resp.headers ?? {}))
				compile(locate(doc, hv, `${at}/headers/${h}`) + "/schema");
		}
	}
	tap(bad.length === 0, `all ${n} schemas compile as strict JSON Schema 2020-12`, bad);

	checkRoutes(doc, top);
	return failures === 0;
}

// The route tables: C string literals and #defines, evaluated.
function cRoutes(file) {
	const text = readFileSync(file, "utf8").replace(/\\\n/g, " ")
	    .replace(/\/\*[\s\S]*?\*\//g, " ");
	const defs = {};
	for (const m of text.matchAll(/^#define\s+(\w+)\s+(.*)$/gm))
		defs[m[1]] = m[2].trim();
	const expand = (expr, depth = 0) => {
		if (depth > 16)
			throw new Error(`${file}: macro loop in ${expr}`);
		const tokens = expr.match(/"(?:[^"\\]|\\.)*"|\w+|[|()]/g) ?? [];
		return tokens.flatMap((t) => defs[t] !== undefined ?
		    expand(defs[t], depth + 1) : [t]);
	};
	const table = text.match(/struct\s+tt_route\s+\w+\[\]\s*=\s*\{([\s\S]*?)\n\};/);
	if (!table)
		return [];
	const rows = [];
	for (const m of table[1].matchAll(/\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
		// Fields at top level: method, pattern, caps, flags, max_body, handler.
		const f = m[1].split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((s) => s.trim());
		if (f.length < 6)
			continue;
		const words = (e) => expand(e).filter((t) => /^\w+$/.test(t) && t !== "0");
		const pattern = expand(f[1]).filter((t) => t.startsWith("\""))
		    .map((t) => JSON.parse(t)).join("");
		for (const method of words(f[0]))
			rows.push({
				file: file.replace(/.*\//, ""),
				method: method.replace(/^TT_/, ""),
				pattern,
				caps: words(f[2]),
				flags: words(f[3]),
			});
	}
	return rows;
}

const CAP_NAMES = {
	TT_CAP_KV_READ: "kv_store_read",
	TT_CAP_KV_WRITE: "kv_store_write",
	TT_CAP_ACCESS_TOKEN_CREATE: "access_token_create",
	TT_CAP_KV_SYSTEM_READ: "kv_store_system_read",
	TT_CAP_KV_SYSTEM_WRITE: "kv_store_system_write",
	TT_CAP_INSTALLATION: "installation_id",
};

function checkRoutes(doc, top) {
	const ops = new Map(operations(doc).map((o) => [`${o.method} ${o.path}`, o]));
	const seen = new Set();
	const dir = join(top, "cgi-bin");
	for (const f of readdirSync(dir).filter((x) => x.endsWith(".c")).sort()) {
		const rows = cRoutes(join(dir, f));
		const why = [];
		for (const r of rows) {
			const path = r.pattern.replace(/\{\w+:(\w+)\}/g, "{$1}");
			const key = `${r.method} ${path}`;
			const o = ops.get(key);
			seen.add(key);
			if (!o) {
				why.push(`${key}: in the route table, not in the document`);
				continue;
			}
			// Path parameters: the route's capture types.
			const ps = params(doc, o);
			for (const m of r.pattern.matchAll(/\{(\w+):(\w+)\}/g)) {
				const p = ps.find((x) => x.in === "path" && x.name === m[2]);
				const s = p && deref(doc, p.schema ?? {});
				const want = { int: s?.type === "integer" && s.minimum === 1,
				    uuid: s?.format === "uuid",
				    str: s?.type === "string" && !p["x-path-rest"],
				    rest: s?.type === "string" && p["x-path-rest"] === true }[m[1]];
				if (!want)
					why.push(`${key}: path parameter ${m[2]} is {${m[1]}:} in the route table, not so documented`);
			}
			// Capabilities and credentials.
			const caps = r.caps.map((c) => CAP_NAMES[c] ?? c).sort().join(",");
			const dcaps = [...(o.op["x-capabilities"] ?? [])].sort().join(",");
			if (caps !== dcaps)
				why.push(`${key}: capabilities [${caps}] in the route table, [${dcaps}] documented`);
			const sec = JSON.stringify(o.op.security ?? doc.security ?? []);
			// TT_ROUTE_COOKIE: the access token, or the page's session
			// cookie (with its CSRF token unless the method is GET).
			const cookie = r.flags.includes("TT_ROUTE_COOKIE");
			const web = r.method === "GET" ? { webSession: [] } :
			    { webSession: [], csrfToken: [] };
			// TT_ROUTE_RUNNER: a work manifest's token instead.
			const runner = r.flags.includes("TT_ROUTE_RUNNER");
			const auth = sec === JSON.stringify(runner ?
			    [{ workManifestToken: [] }] : cookie ?
			    [{ accessToken: [] }, web] : [{ accessToken: [] }]);
			if (r.flags.includes("TT_ROUTE_AUTH") !== auth)
				why.push(`${key}: TT_ROUTE_AUTH ${r.flags.includes("TT_ROUTE_AUTH") ? "set" : "unset"}${cookie ? " with TT_ROUTE_COOKIE" : ""} but security is ${sec}`);
			if (r.flags.includes("TT_ROUTE_INSTALLATION") &&
			    !ps.some((x) => x.in === "path" && x.name === "installation_id"))
				why.push(`${key}: installation-scoped without an installation_id parameter`);
			// Request bodies.
			const body = o.op.requestBody && deref(doc, o.op.requestBody);
			const json = r.flags.includes("TT_ROUTE_JSON_BODY");
			const raw = r.flags.includes("TT_ROUTE_RAW_BODY");
			if ((json || raw) !== Boolean(body?.required && body.content?.["application/json"]))
				why.push(`${key}: ${json || raw ? "takes" : "takes no"} body, documented ${body ? "with" : "without"} a required JSON body`);
		}
		tap(rows.length > 0 && why.length === 0,
		    `route table of cgi-bin/${f} matches the document (${rows.length} routes)`, why);
	}
	const missing = [...ops.keys()].filter((k) => !seen.has(k));
	tap(missing.length === 0, `every documented operation (${ops.size}) has a route table row`,
	    missing.map((k) => `${k}: documented, in no route table`));
}

// --- responses mode ------------------------------------------------------

// Records: "\x1e" METHOD \t URL \t STATUS \t CASE "\n" HEADERS "\n\x1f\n" BODY "\n"
function readLog(file) {
	const text = readFileSync(file, "utf8");
	const out = [];
	for (const rec of text.split("\x1e").slice(1)) {
		const nl = rec.indexOf("\n");
		const [method, url, status, kase] = rec.slice(0, nl).split("\t");
		const rest = rec.slice(nl + 1);
		const sep = rest.indexOf("\n\x1f\n");
		const rawh = sep < 0 ? rest : rest.slice(0, sep);
		let body = sep < 0 ? "" : rest.slice(sep + 3);
		if (body.endsWith("\n"))
			body = body.slice(0, -1);
		// The last header block (curl also writes 100 Continue's).
		const headers = {};
		for (const line of rawh.split(/\r?\n/)) {
			if (/^HTTP\//.test(line)) {
				for (const k of Object.keys(headers))
					delete headers[k];
				continue;
			}
			const m = line.match(/^([^:\s]+):\s*(.*?)\s*$/);
			if (m)
				headers[m[1].toLowerCase()] = m[2];
		}
		const pq = url.replace(/^[a-z]+:\/\/[^/]*/i, "");
		const q = pq.indexOf("?");
		out.push({ method, url, path: q < 0 ? pq : pq.slice(0, q), status, kase,
		    headers, body });
	}
	return out;
}

// A raw path segment decoded as lib/url.c does; null when the router
// refuses it (a malformed escape, a decoded NUL).
function pctDecode(raw) {
	if (/%(?![0-9A-Fa-f]{2})/.test(raw))
		return null;
	const d = raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h) =>
	    String.fromCharCode(parseInt(h, 16)));
	return d.includes("\0") ? null : d;
}

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

// Path templates as lib/route.c matches them: literal segments raw, path
// parameters decoded and typed, a rest parameter last.
function matchers(doc) {
	return Object.keys(doc.paths).map((path) => {
		const item = deref(doc, doc.paths[path]);
		const ps = [...(item.parameters ?? []), ...METHODS.flatMap((m) =>
		    item[m]?.parameters ?? [])].map((p) => deref(doc, p));
		const checks = [];
		const re = path.split("/").map((seg) => {
			const m = seg.match(/^\{(\w+)\}$/);
			if (!m)
				return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
			const p = ps.find((x) => x.in === "path" && x.name === m[1]);
			const s = p ? deref(doc, p.schema ?? {}) : {};
			if (p?.["x-path-rest"]) {
				checks.push((v) => v !== "");
				return "(.+)";
			}
			if (s.type === "integer")
				checks.push((v) => /^[0-9]+$/.test(v) &&
				    (s.minimum === undefined || Number(v) >= s.minimum) &&
				    (s.maximum === undefined || Number(v) <= s.maximum));
			else if (s.format === "uuid")
				checks.push((v) => UUID.test(v));
			else
				checks.push((v) => !v.includes("/"));
			return "([^/]+)";
		}).join("/");
		const rx = new RegExp(`^${re}$`);
		const methods = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
		return { path, item, methods, match: (p) => {
			const m = p.match(rx);
			return m !== null && m.slice(1).every((raw, i) => {
				const v = pctDecode(raw);
				return v !== null && checks[i](v);
			});
		} };
	});
}

// Why a response does not match its documented answer ([] when it does).
function problems(doc, ajv, r, resp, at) {
	const why = [];
	for (const [name, h] of Object.entries(resp.headers ?? {})) {
		const hdr = deref(doc, h);
		const v = r.headers[name.toLowerCase()];
		if (v === undefined) {
			if (hdr.required)
				why.push(`header ${name} missing`);
			continue;
		}
		const hat = locate(doc, h, `${at}/headers/${name}`);
		const vf = ajv.getSchema(DOC_ID + hat + "/schema") ??
		    ajv.compile({ $ref: DOC_ID + hat + "/schema" });
		if (hdr.schema && !vf(v))
			why.push(`header ${name} "${v}": ${ajv.errorsText(vf.errors)}`);
	}
	const ct = (r.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
	if (!resp.content) {
		if (r.body !== "")
			why.push(`a body where none is documented: ${r.body.slice(0, 200)}`);
		return why;
	}
	if (!resp.content[ct])
		return [...why, `content type "${ct}", documented ${Object.keys(resp.content).join(", ")}`];
	let body;
	try {
		body = JSON.parse(r.body);
	} catch (e) {
		return [...why, `body is not JSON (${e.message}): ${r.body.slice(0, 200)}`];
	}
	const sat = `${at}/content/${ct.replace(/\//g, "~1")}/schema`;
	if (resp.content[ct].schema) {
		const vf = ajv.getSchema(DOC_ID + sat) ?? ajv.compile({ $ref: DOC_ID + sat });
		if (!vf(body))
			why.push(`schema: ${ajv.errorsText(vf.errors, { separator: "; " })}`);
	}
	return why;
}

function checkResponses(docFile, logFile, lbl) {
	label = lbl ? `[${lbl}] ` : "";
	const doc = JSON.parse(readFileSync(docFile, "utf8"));
	const ajv = newAjv(doc, false);
	const ms = matchers(doc);
	const err = locate(doc, { $ref: "#/components/schemas/error" }, "");
	const errv = ajv.compile({ $ref: DOC_ID + err });
	const groups = new Map();
	const skipped = { webserver: 0, test: 0, failed: 0 };
	const add = (key, r, why) => {
		if (!groups.has(key))
			groups.set(key, { n: 0, bad: [] });
		const g = groups.get(key);
		g.n++;
		if (why.length)
			g.bad.push({ r, why });
	};

	for (const r of readLog(logFile)) {
		if (!/^[1-5][0-9][0-9]$/.test(r.status)) {
			skipped.failed++;
			continue;
		}
		// tests/progs/echo: a test-only program, not part of the API.
		if (/^\/echo(\/|$)/.test(r.path)) {
			skipped.test++;
			continue;
		}
		// The web server's own answers (lighttpd's 411, Apache's 400
		// for a bad escape, paths no program serves): no request id,
		// no JSON.
		const json = /^application\/json/i.test(r.headers["content-type"] ?? "");
		if (r.headers["x-request-id"] === undefined && !json) {
			skipped.webserver++;
			continue;
		}
		const hits = ms.filter((m) => m.match(r.path));
		const exact = hits.find((m) => m.methods.includes(r.method));
		if (exact) {
			const o = exact.item[r.method.toLowerCase()];
			const key = `${r.method} ${exact.path} ${r.status}`;
			const raw = o.responses?.[r.status];
			if (raw === undefined) {
				add(key, r, [`status ${r.status} is not documented for ${r.method} ${exact.path}`]);
				continue;
			}
			const at = locate(doc, raw, pointer(["paths", exact.path, r.method.toLowerCase(), "responses", r.status]));
			add(key, r, problems(doc, ajv, r, deref(doc, raw), at));
			continue;
		}
		// The request layer's answers for any path (info.description).
		const why = [];
		let key;
		if (hits.length) {
			const allow = [...new Set(hits.flatMap((m) => m.methods))].sort();
			key = `${r.method} ${hits[0].path} ${r.status}`;
			if (r.status !== "405")
				why.push(`${r.method} is not documented for ${hits[0].path}: expected a 405, got ${r.status}`);
			const got = (r.headers.allow ?? "").split(/,\s*/).filter(Boolean).sort();
			if (got.join(",") !== allow.join(","))
				why.push(`Allow "${r.headers.allow ?? ""}", documented methods ${allow.join(", ")}`);
		} else {
			key = `(no route) ${r.status}`;
			if (r.status !== "404")
				why.push(`${r.method} ${r.path} matches no documented path: expected a 404, got ${r.status}`);
		}
		const want = r.status === "405" ? "METHOD_NOT_ALLOWED" : "NOT_FOUND";
		let body;
		try {
			body = JSON.parse(r.body);
		} catch {
			body = undefined;
		}
		if (!errv(body))
			why.push(`body is no error object: ${r.body.slice(0, 200)}`);
		else if (body.id !== want)
			why.push(`error id ${body.id}, expected ${want}`);
		if (r.headers["x-request-id"] === undefined)
			why.push("header X-Request-Id missing");
		add(key, r, why);
	}

	const total = [...groups.values()].reduce((a, g) => a + g.n, 0);
	for (const [key, g] of [...groups.entries()].sort()) {
		const first = g.bad[0];
		tap(g.bad.length === 0, `${key} (${g.n} response${g.n === 1 ? "" : "s"})`,
		    first && [`${g.bad.length} of ${g.n} do not match; first: ${first.r.kase}: ` +
		    `${first.r.method} ${first.r.url.replace(/^[a-z]+:\/\/[^/]*/i, "")} -> ${first.r.status}` +
		    ` (X-Request-Id ${first.r.headers["x-request-id"] ?? "none"})`,
		    ...first.why, `body: ${first.r.body.slice(0, 300)}`]);
	}
	tap(total > 0, `${total} responses checked in ${groups.size} (route, status) pairs`);
	console.log(`# not checked: ${skipped.webserver} answers of the web server itself, ` +
	    `${skipped.test} of test-only programs, ${skipped.failed} requests without an answer`);
	// Documented answers this run did not see (information, not a failure).
	const unseen = [];
	for (const m of ms)
		for (const meth of m.methods)
			for (const st of Object.keys(m.item[meth.toLowerCase()].responses ?? {}))
				if (!groups.has(`${meth} ${m.path} ${st}`) && st !== "500")
					unseen.push(`${meth} ${m.path} ${st}`);
	console.log(`# ${unseen.length} documented (route, status) pairs not ` +
	    "exercised (500s aside), listed in this check's output file");
	for (const u of unseen)
		console.log(`  unexercised: ${u}`);
	return failures === 0;
}

const [mode, ...args] = process.argv.slice(2);
let ok;
try {
	if (mode === "document" && args.length === 2)
		ok = await checkDocument(args[0], args[1]);
	else if (mode === "responses" && args.length === 3)
		ok = checkResponses(args[0], args[1], args[2]);
	else {
		console.error("usage: check.mjs document DOC.json TOP | responses DOC.json LOG LABEL");
		process.exit(2);
	}
} catch (e) {
	tap(false, `${mode} check could not run`, e.stack);
	ok = false;
}
process.exit(ok ? 0 : 1);
