// Oracle: node `semver` 7.7.2, strict (non-loose) parsing. Usage:
//   node npm_semver.js <path to node_modules/semver> <input file>
// See README.md for the protocol.
'use strict'
const fs = require('fs')
const path = require('path')

const dir = process.argv[2]
const want = '7.7.2'
const got = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version
if (got !== want) {
  process.stderr.write(`semver ${got} found in ${dir}, the test needs ${want}\n`)
  process.exit(3)
}
const semver = require(dir)

const unhex = (h) => Buffer.from(h.slice(1), 'hex').toString('utf8')
const out = []
for (const line of fs.readFileSync(process.argv[3], 'ascii').split('\n')) {
  if (line === '') continue
  const [op, ...args] = line.split(' ')
  if (op === 'V') {
    out.push(semver.valid(unhex(args[0])) !== null ? 'ok' : 'invalid')
  } else if (op === 'C') {
    const a = unhex(args[0])
    const b = unhex(args[1])
    if (semver.valid(a) === null || semver.valid(b) === null) {
      out.push('invalid')
    } else {
      out.push(String(semver.compare(a, b)))
    }
  } else {
    throw new Error(`bad request: ${line}`)
  }
}
process.stdout.write(out.map((x) => x + '\n').join(''))
