// Vigil's console: the settings page (loaded after app.js, whose helpers it uses).
"use strict";
