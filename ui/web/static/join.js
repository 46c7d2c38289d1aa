// The join token travels in the link's fragment, which browsers never send
// to the server; it is exchanged for a session cookie and removed from the
// address bar at once.
import { api, chrome } from "./common.js";
import { t } from "./i18n.js";

chrome();
const token = location.hash.slice(1);
history.replaceState(null, "", "/join");
(async () => {
  try {
    const s = await api("POST", "/api/join", { token });
    location.replace("/room/" + encodeURIComponent(s.drillId));
  } catch (e) {
    document.getElementById("status").textContent = "";
    document.getElementById("error").textContent = t("joinFailed");
  }
})();
