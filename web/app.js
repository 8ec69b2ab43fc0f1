// app.js: the API Access page. Plain JavaScript, no build step, no
// external code. Signs in through /api/v1/github/login (or the web
// server's sign-in), then lists, creates and revokes the user's API keys
// with the key-management API (API.md 1.4) and the session cookie; every
// state-changing call sends the session's X-CSRF-Token.
"use strict";

(function () {
  const KEYS = "/api/v1/github/access-token";
  const $ = (id) => document.getElementById(id);
  let csrf = "";
  let pendingRevoke = null;

  const ERRORS = {
    state: "Sign-in was interrupted or came from another browser window. Please sign in again.",
    denied: "GitHub sign-in was cancelled.",
    github: "GitHub could not be reached or refused the sign-in. Please try again.",
    unavailable: "GitHub sign-in is not configured on this server."
  };

  function notice(text) {
    const n = $("notice");
    n.textContent = text || "";
    n.hidden = !text;
  }

  async function api(method, url, body) {
    const opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    } else if (method === "POST") {
      opts.body = "";
    }
    const r = await fetch(url, opts);
    let data = null;
    if (r.status !== 204) {
      try { data = await r.json(); } catch (e) { data = null; }
    }
    if (!r.ok) {
      const msg = (data && typeof data.data === "string" && data.data) ||
        ("request failed (" + r.status + ")");
      const err = new Error(msg);
      err.status = r.status;
      throw err;
    }
    return data;
  }

  function when(t) {
    if (!t) return "";
    return t.replace("T", " ").replace(/:\d\dZ$/, " UTC");
  }

  function capLabel(c) {
    if (typeof c === "string") {
      return { kv_store_read: "KV Store Read", kv_store_write: "KV Store Write",
        access_token_create: "Create keys", kv_store_system_read: "KV System Read",
        kv_store_system_write: "KV System Write" }[c] || c;
    }
    if (c && c.name === "installation_id") return "Installation " + c.id;
    return JSON.stringify(c);
  }

  function cell(tr, label, content) {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    tr.appendChild(td);
    return td;
  }

  async function loadKeys() {
    const rows = $("keyrows");
    // The first 100 keys (the API's largest page).
    const data = await api("GET", KEYS + "?limit=100");
    const keys = data.results || [];
    rows.textContent = "";
    for (const k of keys) {
      const tr = document.createElement("tr");
      tr.dataset.keyId = k.id;
      const name = document.createElement("strong");
      name.textContent = k.name;
      cell(tr, "Name", name);
      const ul = document.createElement("ul");
      ul.className = "caps";
      for (const c of k.capabilities || []) {
        const li = document.createElement("li");
        li.textContent = capLabel(c);
        ul.appendChild(li);
      }
      cell(tr, "Capabilities", ul);
      cell(tr, "Created", when(k.created_at));
      cell(tr, "Last used", k.last_used_at ? when(k.last_used_at) : "Never");
      cell(tr, "Expires", k.expires_at ? when(k.expires_at) : "Never");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "danger";
      b.textContent = "Revoke";
      b.setAttribute("aria-label", "Revoke " + k.name);
      b.addEventListener("click", () => askRevoke(k));
      cell(tr, "", b);
      rows.appendChild(tr);
    }
    $("keytable").hidden = keys.length === 0;
    $("nokeys").hidden = keys.length !== 0;
  }

  function askRevoke(k) {
    pendingRevoke = k;
    $("confirm-name").textContent = k.name;
    $("confirm").showModal();
    $("confirm-cancel").focus();
  }

  async function doRevoke() {
    const k = pendingRevoke;
    $("confirm").close();
    pendingRevoke = null;
    if (!k) return;
    try {
      await api("DELETE", KEYS + "?id=" + encodeURIComponent(k.id));
      notice("Key \u201c" + k.name + "\u201d revoked.");
    } catch (e) {
      notice("Could not revoke the key: " + e.message);
    }
    await loadKeys().catch((e) => notice(e.message));
  }

  function showInstallations(insts) {
    const sel = $("inst");
    sel.textContent = "";
    for (const i of insts) {
      const o = document.createElement("option");
      o.value = i.id;
      o.textContent = i.login + " (" + i.id + ")";
      sel.appendChild(o);
    }
    $("noinst").hidden = insts.length !== 0;
    sel.disabled = insts.length === 0;
    $("createbtn").disabled = insts.length === 0;
  }

  async function create(ev) {
    ev.preventDefault();
    const err = $("formerror");
    err.hidden = true;
    const name = $("name").value.trim();
    const caps = [];
    // A key made here is restricted to one of the user's installations
    // (the server refuses any other: API.md 1.3).
    if ($("inst").value)
      caps.push({ name: "installation_id", id: String($("inst").value) });
    if ($("cap-kvr").checked) caps.push("kv_store_read");
    if ($("cap-kvw").checked) caps.push("kv_store_write");
    let problem = "";
    if (!name) problem = "Give the key a name.";
    else if (!$("inst").value) problem = "You are a member of no installation.";
    else if (caps.length < 2) problem = "Choose at least one capability.";
    if (problem) {
      err.textContent = problem;
      err.hidden = false;
      (name ? $("inst") : $("name")).focus();
      return;
    }
    const body = { name: name, capabilities: caps };
    const days = $("expires").value;
    if (days) {
      const d = new Date(Date.now() + Number(days) * 86400000);
      body.expires_at = d.toISOString().replace(/\.\d+Z$/, "Z");
    }
    $("createbtn").disabled = true;
    try {
      const k = await api("POST", KEYS, body);
      $("createform").reset();
      $("newkey-name").textContent = "\u201c" + k.name + "\u201d";
      $("keyvalue").value = k.api_key;
      $("copied").textContent = "";
      $("newkey").showModal();
      $("keyvalue").select();
      await loadKeys();
    } catch (e) {
      err.textContent = "Could not create the key: " + e.message;
      err.hidden = false;
    } finally {
      $("createbtn").disabled = false;
    }
  }

  async function copyKey() {
    const v = $("keyvalue");
    try {
      await navigator.clipboard.writeText(v.value);
    } catch (e) {
      v.select();
      document.execCommand("copy");
    }
    $("copied").textContent = "Copied to the clipboard.";
  }

  function closeNewKey() {
    $("keyvalue").value = "";
    $("newkey").close();
    $("name").focus();
  }

  async function signOut() {
    try { await api("POST", "/api/v1/web/logout"); } catch (e) { /* gone */ }
    location.replace(location.pathname);
  }

  async function start() {
    const q = new URLSearchParams(location.search);
    if (q.get("error")) {
      notice(ERRORS[q.get("error")] || "Sign-in failed.");
      history.replaceState(null, "", location.pathname);
    }
    let s;
    try {
      s = await api("GET", "/api/v1/web/session");
    } catch (e) {
      notice("The server could not be reached: " + e.message);
      return;
    }
    if (!s.signed_in) {
      $("signin").hidden = false;
      $("signin-github").hidden = !s.sign_in.github;
      $("signin-remote").hidden = !s.sign_in.remote_user;
      $("signin-none").hidden = s.sign_in.github || s.sign_in.remote_user;
      return;
    }
    csrf = s.csrf_token;
    $("login").textContent = s.user.login;
    $("who").hidden = false;
    $("keys").hidden = false;
    $("create").hidden = false;
    showInstallations(s.installations || []);
    try { await loadKeys(); } catch (e) { notice(e.message); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("createform").addEventListener("submit", create);
    $("copy").addEventListener("click", copyKey);
    $("newkey-close").addEventListener("click", closeNewKey);
    $("newkey").addEventListener("cancel", () => { $("keyvalue").value = ""; });
    $("confirm-cancel").addEventListener("click", () => $("confirm").close());
    $("confirm-ok").addEventListener("click", doRevoke);
    $("signout").addEventListener("click", signOut);
    start();
  });
})();
