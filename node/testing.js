'use strict';
// visionxl/testing (CommonJS entry): the in-process Emulator and interpretResponse.
module.exports = require('./lib/testing');
