import { api } from "./common.js";

// A participant who joined by link may link the drill to their account at
// the organization's identity provider, so that their before/after ratings
// form a history across drills ("my drills"). Shown only where the room has
// an identity provider.
api("GET", "/api/session").then((s) => {
  if (s.sso && s.role === "participant") document.getElementById("linkIdentity").hidden = false;
}).catch(() => {});
