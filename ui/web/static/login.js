import { api, chrome, loadSession } from "./common.js";

chrome();
// With an identity provider configured, staff sign in there; the admin
// token stays below as the break-glass way in.
loadSession().then((s) => {
  if (s.sso) {
    document.getElementById("ssoBox").hidden = false;
    document.getElementById("breakGlass").hidden = false;
    document.getElementById("meBox").hidden = false;
  }
}).catch(() => {});
// The name is remembered in this browser for the next sign-in.
const nameBox = document.getElementById("facName");
nameBox.value = localStorage.getItem("firedrill.facilitatorName") || "";
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("error");
  err.textContent = "";
  try {
    const name = nameBox.value.trim();
    // A browser that already holds a session sends its CSRF token.
    await loadSession();
    await api("POST", "/api/login", { secret: document.getElementById("secret").value, name });
    localStorage.setItem("firedrill.facilitatorName", name);
    location.assign("/console");
  } catch (e) {
    err.textContent = e.message;
  }
});
