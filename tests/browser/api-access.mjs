// api-access.mjs: the API Access page in the system's headless Chromium
// (issue 9), against a running server and the stand-in GitHub:
//   node api-access.mjs TOOLS_DIR BASE_URL FAKEGH_URL OUT_DIR INSTALLATION
// Signs in with GitHub, creates a key with two capabilities, reads it from
// the dialog, uses it at the refresh endpoint, sees "last used" change,
// revokes it and sees the refresh fail. One TAP line per check; a
// screenshot of each step in OUT_DIR. The session cookie and the key are
// appended to $TT_ISSUED_SECRETS for the log-leak check.
import { createRequire } from "node:module";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const [tools, base, fakegh, out, inst] = process.argv.slice(2);
const require = createRequire(join(tools, "node_modules", "x.js"));
const { chromium } = require("playwright-core");
mkdirSync(out, { recursive: true });

let failed = 0;
function tap(ok, what, why) {
	console.log(`${ok ? "ok" : "not ok"} - [browser] ${what}`);
	if (!ok) {
		failed++;
		if (why)
			console.log(`# ${String(why).split("\n").join("\n# ")}`);
	}
}
async function step(what, fn) {
	try {
		const r = await fn();
		tap(r !== false, what);
	} catch (e) {
		tap(false, what, e.message);
	}
}
function remember(secret) {
	if (process.env.TT_ISSUED_SECRETS && secret)
		appendFileSync(process.env.TT_ISSUED_SECRETS, secret + "\n");
}
let shot = 0;
async function snap(page, name) {
	shot++;
	await page.screenshot({ path: join(out,
	    `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
}
async function refresh(key) {
	const r = await fetch(`${base}/api/v1/access-token/refresh`, {
		method: "POST", headers: { Authorization: `Bearer ${key}`,
		    "Content-Length": "0" } });
	return r.status;
}

const login = `browser-${process.pid}`;
await fetch(`${fakegh}/_fake/oauth-user`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ login, id: 700000 + process.pid,
        installations: [{ id: Number(inst), login: "browser-org" }] }) });

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
    headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
await context.grantPermissions(["clipboard-read", "clipboard-write"],
    { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(10000);
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
let key = "";

try {
	await page.goto(`${base}/web/`);
	await step("signed out, the page offers GitHub sign-in", async () => {
		await page.getByRole("link", { name: "Sign in with GitHub" }).waitFor();
		await snap(page, "signed-out");
	});
	await step("signing in with GitHub comes back to the page, signed in", async () => {
		await page.getByRole("link", { name: "Sign in with GitHub" }).click();
		await page.waitForURL(`${base}/web/`);
		await page.locator("#login", { hasText: login }).waitFor();
		await snap(page, "signed-in");
	});
	const cookies = await context.cookies(base);
	const sess = cookies.find((c) => c.name === "tt_session");
	await step("the session cookie is HttpOnly and SameSite=Lax", () =>
	    sess !== undefined && sess.httpOnly && sess.sameSite === "Lax");
	if (sess)
		remember(sess.value);
	await step("the installation picker lists the user's installation", async () => {
		const opts = await page.locator("#inst option").allTextContents();
		return opts.length === 1 && opts[0].includes(inst);
	});

	await step("create a key with Installation Access and KV Store Read (keyboard)", async () => {
		await page.locator("#name").focus();
		await page.keyboard.type("ci-deploy");
		await page.keyboard.press("Tab");	// the installation (required)
		await page.keyboard.press("Tab");	// KV Store Read
		await page.keyboard.press("Space");
		await page.getByRole("button", { name: "Create key" }).click();
		await page.locator("#newkey").waitFor({ state: "visible" });
		await snap(page, "new-key-dialog");
	});
	await step("the dialog shows the key once, with the warning", async () => {
		key = await page.locator("#keyvalue").inputValue();
		remember(key);
		const warn = await page.locator("#newkey .warning").textContent();
		return /^tt_live_[A-Za-z0-9]{42}$/.test(key) &&
		    warn.includes("will not be shown again");
	});
	await step("the copy button puts the key on the clipboard", async () => {
		await page.getByRole("button", { name: "Copy" }).click();
		await page.locator("#copied", { hasText: "Copied" }).waitFor();
		return await page.evaluate(() => navigator.clipboard.readText()) === key;
	});
	await step("closing the dialog forgets the key", async () => {
		await page.getByRole("button", { name: "Done" }).click();
		await page.locator("#newkey").waitFor({ state: "hidden" });
		return await page.locator("#keyvalue").inputValue() === "";
	});
	const row = page.locator("#keyrows tr", { hasText: "ci-deploy" });
	await step("the list shows the key: both capabilities, never used, expiry", async () => {
		const text = await row.textContent();
		return text.includes(`Installation ${inst}`) &&
		    text.includes("KV Store Read") && !text.includes("KV Store Write") &&
		    (await row.locator('td[data-label="Last used"]').textContent()) === "Never" &&
		    /UTC/.test(await row.locator('td[data-label="Expires"]').textContent());
	});
	await step("the key works at the refresh endpoint", async () =>
	    await refresh(key) === 200);
	await step("after a reload, \"last used\" has changed", async () => {
		await page.reload();
		const cell = row.locator('td[data-label="Last used"]');
		await cell.waitFor();
		const t = await cell.textContent();
		await snap(page, "last-used");
		return t !== "Never" && / UTC$/.test(t);
	});
	await step("revoke asks for confirmation", async () => {
		await row.getByRole("button", { name: "Revoke ci-deploy" }).click();
		await page.locator("#confirm").waitFor({ state: "visible" });
		await snap(page, "confirm-revoke");
	});
	await step("revoking removes the key from the list", async () => {
		await page.locator("#confirm-ok").click();
		await page.locator("#notice", { hasText: "revoked" }).waitFor();
		await row.waitFor({ state: "detached" });
		await snap(page, "revoked");
	});
	await step("the revoked key no longer refreshes", async () =>
	    await refresh(key) === 401);
	await step("readable on a phone: no horizontal scrolling", async () => {
		await page.setViewportSize({ width: 375, height: 740 });
		await page.reload();
		await page.locator("#createform").waitFor();
		await snap(page, "phone");
		return await page.evaluate(() =>
		    document.documentElement.scrollWidth <= window.innerWidth);
	});
	await step("sign out", async () => {
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("link", { name: "Sign in with GitHub" }).waitFor();
		const c = await context.cookies(base);
		return !c.some((x) => x.name === "tt_session");
	});
	tap(errors.length === 0, "no script errors in the page", errors.join("\n"));
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
