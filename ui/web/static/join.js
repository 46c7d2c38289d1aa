// The join token travels in the link's fragment, which browsers never send
// to the server; it is exchanged for a session cookie and removed from the
// address bar at once. A browser that held another session (another drill,
// the facilitator's sign-in) switches to the link's and the room says so.
import { api, chrome } from "./common.js";
import { t } from "./i18n.js";

chrome();
const token = location.hash.slice(1);
history.replaceState(null, "", "/join");
(async () => {
  try {
    const s = await api("POST", "/api/join", { token });
    if (s.switchedFrom) sessionStorage.setItem("firedrill.switchedFrom", JSON.stringify(s.switchedFrom));
    location.replace("/room/" + encodeURIComponent(s.drillId));
  } catch (e) {
    document.getElementById("status").textContent = "";
    // A refused token is "not valid"; anything else (too many attempts, the
    // server down) is said as it is.
    document.getElementById("error").textContent = e.status === 401 ? t("joinFailed") : t("joinError") + " " + e.message;
  }
})();
