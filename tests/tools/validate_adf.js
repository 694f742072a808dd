// Validates ADF documents against the official ADF JSON Schema (draft-04) with Ajv.
//   node validate_adf.js SCHEMA.json DOC.json...   exit 0 when all are valid
'use strict';
const fs = require('fs');
// Debian's node-ajv lives in /usr/share/nodejs, which Debian's node searches by itself;
// other builds of node need NODE_PATH=/usr/share/nodejs (the tests set it).
const Ajv = require('ajv');
const draft04 = require('ajv/lib/refs/json-schema-draft-04.json');
const ajv = new Ajv({ schemaId: 'auto', allErrors: true, jsonPointers: true });
ajv.addMetaSchema(draft04);
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
let failed = 0;
for (const file of process.argv.slice(3)) {
  if (!validate(JSON.parse(fs.readFileSync(file, 'utf8')))) {
    failed++;
    // The schema's anyOf branches make many errors; the deepest ones point at the culprit.
    const errors = validate.errors.slice().sort((a, b) => b.dataPath.length - a.dataPath.length);
    console.error(`${file}: invalid ADF`);
    for (const e of errors.slice(0, 5)) console.error(`  ${e.dataPath} ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
