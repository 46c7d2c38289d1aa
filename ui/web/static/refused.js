import { chrome } from "./common.js";
chrome();
