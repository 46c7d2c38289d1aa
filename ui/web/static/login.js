import { api, chrome } from "./common.js";

chrome();
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("error");
  err.textContent = "";
  try {
    await api("POST", "/api/login", { secret: document.getElementById("secret").value });
    location.assign("/console");
  } catch (e) {
    err.textContent = e.message;
  }
});
