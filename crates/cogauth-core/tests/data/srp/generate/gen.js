#!/usr/bin/env node
// Produces known-answer vectors for Cognito's password SRP and device SRP by driving the real
// amazon-cognito-identity-js CognitoUser (not just its AuthenticationHelper) against a scripted
// fake Cognito: every random byte the library draws and every timestamp it signs are injected,
// every request it sends is recorded. The fake server's math (verifier, B, and its own check of
// the client's signature) is written here independently of the library.
'use strict';
const crypto = require('crypto');

// ---- injected randomness: the library reads 4-byte words through global.crypto ----------
let pending = [];
function feed(buf) { pending.push(...buf); }
Object.defineProperty(globalThis, 'crypto', {
  configurable: true,
  value: {
    getRandomValues(arr) {
      if (!(arr instanceof Uint32Array) || arr.length !== 1) throw new Error('unexpected getRandomValues use');
      if (pending.length < 4) throw new Error('the library drew more randomness than injected');
      const [b0, b1, b2, b3] = pending.splice(0, 4);
      arr[0] = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
      return arr;
    },
  },
});
function expectDrained(what) {
  if (pending.length !== 0) throw new Error(`${what}: ${pending.length} injected random bytes unused`);
}

const lib = require('amazon-cognito-identity-js');
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default;
const pkgVersion = require('amazon-cognito-identity-js/package.json').version;

// The library formats the time itself (DateHelper.getNowString) from `new Date()`: give it the
// vector's instant, so that the TIMESTAMP is the library's own formatting.
let nowString = null;
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length) { super(...args); return; }
    if (!nowString) throw new Error('no instant injected');
    super(RealDate.parse(nowString));
  }
};

// ---- deterministic "random" bytes --------------------------------------------------------
function det(label, n) {
  const out = [];
  for (let i = 0; out.length < n; i++) out.push(...crypto.createHash('sha256').update(`${label}/${i}`).digest());
  return Buffer.from(out.slice(0, n));
}

// ---- independent server-side SRP math (native BigInt) ------------------------------------
const N = BigInt('0x' + 'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF');
const g = 2n;
function modpow(b, e, m) { let r = 1n; b %= m; if (b < 0n) b += m; while (e > 0n) { if (e & 1n) r = (r * b) % m; b = (b * b) % m; e >>= 1n; } return r; }
// minimal big-endian bytes, with a 0x00 in front when the high bit is set
function padBytes(n) { let h = n.toString(16); if (h.length % 2) h = '0' + h; if (/^[89a-f]/.test(h)) h = '00' + h; return Buffer.from(h, 'hex'); }
function sha(...parts) { const h = crypto.createHash('sha256'); for (const p of parts) h.update(p); return h.digest(); }
const big = buf => BigInt('0x' + (Buffer.from(buf).toString('hex') || '0'));
const k = big(sha(padBytes(N), padBytes(g)));
function verifierFor(prefix, user, password, saltBytes) {
  const x = big(sha(padBytes(big(saltBytes)), Buffer.from(sha(Buffer.from(`${prefix}${user}:${password}`, 'utf8')).toString('hex'), 'hex')));
  return modpow(g, x, N);
}
function serverB(v, b) { return (k * v + modpow(g, b, N)) % N; }
function serverKey(A, B, v, b) {
  const u = big(sha(padBytes(A), padBytes(B)));
  const S = modpow((A * modpow(v, u, N)) % N, b, N);
  const prk = crypto.createHmac('sha256', padBytes(u)).update(padBytes(S)).digest();
  return crypto.createHmac('sha256', prk).update(Buffer.concat([Buffer.from('Caldera Derived Key'), Buffer.from([1])])).digest().subarray(0, 16);
}
function signature(key, prefix, user, secretBlockB64, timestamp) {
  return crypto.createHmac('sha256', key).update(Buffer.concat([Buffer.from(prefix, 'utf8'), Buffer.from(user, 'utf8'), Buffer.from(secretBlockB64, 'base64'), Buffer.from(timestamp, 'utf8')])).digest('base64');
}

// ---- a scripted Cognito ------------------------------------------------------------------
function fakeJwt(claims) {
  const enc = o => Buffer.from(JSON.stringify(o)).toString('base64').replace(/=+$/, '');
  return `${enc({ alg: 'none' })}.${enc(claims)}.sig`;
}
function tokens(user) {
  const now = 1795687200;
  return {
    IdToken: fakeJwt({ sub: user, 'cognito:username': user, iat: now, exp: now + 3600, token_use: 'id' }),
    AccessToken: fakeJwt({ sub: user, username: user, iat: now, exp: now + 3600, token_use: 'access' }),
    RefreshToken: 'refresh-token',
    ExpiresIn: 3600,
    TokenType: 'Bearer',
  };
}
class FakeClient {
  constructor(script) { this.script = script; this.requests = []; }
  request(op, params, cb) {
    this.requests.push({ op, params: JSON.parse(JSON.stringify(params)) });
    const step = this.script.shift();
    if (!step) return cb(new Error(`unscripted request ${op}`));
    if (step.op !== op) return cb(new Error(`expected ${step.op}, got ${op}`));
    let out;
    try { out = step.respond(params); } catch (e) { return cb(e); }
    setImmediate(() => cb(null, out));
  }
}
class MemoryStorage {
  constructor() { this.m = {}; }
  setItem(k, v) { this.m[k] = String(v); }
  getItem(k) { return Object.prototype.hasOwnProperty.call(this.m, k) ? this.m[k] : null; }
  removeItem(k) { delete this.m[k]; }
  clear() { this.m = {}; }
}

function login(pool, username, password, callbacks) {
  const user = new lib.CognitoUser({ Username: username, Pool: pool, Storage: pool.storage });
  user.setAuthenticationFlowType('USER_SRP_AUTH');
  return new Promise((resolve, reject) => {
    user.authenticateUser(new lib.AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session, confirmationNecessary) => resolve({ user, session, confirmationNecessary }),
      onFailure: reject,
      ...callbacks,
    });
  });
}

// One password login (PASSWORD_VERIFIER) through CognitoUser against the fake server.
// Returns the recorded PASSWORD_VERIFIER responses.
async function passwordLogin(c, extraAfterVerifier) {
  const pool = new lib.CognitoUserPool({ UserPoolId: c.pool_id, ClientId: 'client1234567890abcdef', Storage: c.storage || new MemoryStorage() });
  const poolName = c.pool_id.split('_')[1];
  const v = verifierFor(poolName, c.user_id_for_srp, c.password, Buffer.from(c.salt_hex, 'hex'));
  const b = big(Buffer.from(c.small_b_hex, 'hex'));
  const B = serverB(v, b);
  let A;
  let verified = null;
  const script = [
    { op: 'InitiateAuth', respond: p => { A = BigInt('0x' + p.AuthParameters.SRP_A); return { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: { SRP_B: B.toString(16), SALT: c.salt_hex, SECRET_BLOCK: c.secret_block_b64, USER_ID_FOR_SRP: c.user_id_for_srp, USERNAME: c.user_id_for_srp } }; } },
    { op: 'RespondToAuthChallenge', respond: p => {
      const r = p.ChallengeResponses;
      const key = serverKey(A, B, v, b);
      if (r.PASSWORD_CLAIM_SIGNATURE !== signature(key, poolName, c.user_id_for_srp, r.PASSWORD_CLAIM_SECRET_BLOCK, r.TIMESTAMP)) throw new Error(`${c.name}: the server's check of the password signature failed`);
      verified = { responses: r, key };
      return extraAfterVerifier ? extraAfterVerifier(p) : { AuthenticationResult: tokens(c.user_id_for_srp), ChallengeParameters: {} };
    } },
  ];
  return { pool, script, poolName, v, B, getA: () => A, getVerified: () => verified };
}

async function passwordVector(c) {
  // the library always draws 128 bytes for a; a shorter a is the same number with zeros in front
  const aBytes = Buffer.from(c.small_a_hex, 'hex');
  feed(Buffer.concat([Buffer.alloc(128 - aBytes.length), aBytes]));
  nowString = c.timestamp;
  const ctx = await passwordLogin(c);
  const client = new FakeClient(ctx.script);
  ctx.pool.client = client;
  await login(ctx.pool, c.username || c.user_id_for_srp, c.password);
  expectDrained(c.name);
  const ver = ctx.getVerified();
  return {
    name: c.name,
    pool_id: c.pool_id,
    user_id_for_srp: c.user_id_for_srp,
    password: c.password,
    small_a_hex: c.small_a_hex,
    srp_b_hex: ctx.B.toString(16),
    salt_hex: c.salt_hex,
    secret_block_b64: c.secret_block_b64,
    timestamp: ver.responses.TIMESTAMP,
    expected_srp_a_hex: client.requests[0].params.AuthParameters.SRP_A,
    expected_password_claim_signature: ver.responses.PASSWORD_CLAIM_SIGNATURE,
    server_small_b_hex: c.small_b_hex,
    server_verifier_hex: ctx.v.toString(16),
    expected_key_hex: ver.key.toString('hex'),
  };
}

// The whole device life cycle through CognitoUser: a password login that returns
// NewDeviceMetadata (ConfirmDevice recorded), then a second login that the fake server
// answers with DEVICE_SRP_AUTH (DEVICE_PASSWORD_VERIFIER recorded).
async function deviceVectors(c) {
  const storage = new MemoryStorage();
  const base = { pool_id: c.pool_id, user_id_for_srp: c.user_id_for_srp, password: c.password, salt_hex: det(`${c.name}/user-salt`, 16).toString('hex'), secret_block_b64: det(`${c.name}/sb1`, 48).toString('base64'), storage };

  // 1. login + ConfirmDevice
  const a1 = det(`${c.name}/a1`, 128);
  feed(a1); feed(c.device_password_random); feed(c.device_salt_random);
  nowString = c.timestamp;
  const ctx1 = await passwordLogin({ ...base, name: `${c.name}/login`, small_b_hex: det(`${c.name}/b1`, 32).toString('hex') }, () => ({
    AuthenticationResult: { ...tokens(c.user_id_for_srp), NewDeviceMetadata: { DeviceKey: c.device_key, DeviceGroupKey: c.device_group_key } },
    ChallengeParameters: {},
  }));
  let confirm;
  ctx1.script.push({ op: 'ConfirmDevice', respond: p => { confirm = p; return { UserConfirmationNecessary: false }; } });
  ctx1.pool.client = new FakeClient(ctx1.script);
  await login(ctx1.pool, c.user_id_for_srp, c.password);
  expectDrained(`${c.name} (confirm)`);
  if (!confirm) throw new Error('no ConfirmDevice');
  const prefix = `CognitoIdentityServiceProvider.${ctx1.pool.getClientId()}.${c.user_id_for_srp}`;
  const devicePassword = storage.getItem(`${prefix}.randomPasswordKey`);
  const saltBytes = Buffer.from(confirm.DeviceSecretVerifierConfig.Salt, 'base64');
  const verifierBytes = Buffer.from(confirm.DeviceSecretVerifierConfig.PasswordVerifier, 'base64');
  // the server's own check of what the device sent
  const v = verifierFor(c.device_group_key, c.device_key, devicePassword, saltBytes);
  if (big(verifierBytes) !== v) throw new Error(`${c.name}: the device verifier does not match g^x`);
  const verifierVector = {
    name: c.name,
    device_group_key: c.device_group_key,
    device_key: c.device_key,
    random_password_bytes_hex: c.device_password_random.toString('hex'),
    random_salt_bytes_hex: c.device_salt_random.toString('hex'),
    expected_device_password: devicePassword,
    expected_salt_b64: confirm.DeviceSecretVerifierConfig.Salt,
    expected_password_verifier_b64: confirm.DeviceSecretVerifierConfig.PasswordVerifier,
    expected_salt_hex: saltBytes.toString('hex'),
    expected_verifier_hex: verifierBytes.toString('hex'),
  };

  // 2. a later login that Cognito answers with DEVICE_SRP_AUTH
  const a2 = det(`${c.name}/a2`, 128);
  const aDevice = c.device_small_a || det(`${c.name}/a-device`, 128);
  feed(a2); feed(aDevice);
  const deviceSaltHex = c.server_salt_hex ? c.server_salt_hex(saltBytes) : saltBytes.toString('hex');
  const bDevice = c.device_small_b || det(`${c.name}/b-device`, 32);
  const Bd = serverB(v, big(bDevice));
  const sb2 = det(`${c.name}/sb-device`, c.secret_block_len || 64).toString('base64');
  let Ad, devResp, devKey;
  const ctx2 = await passwordLogin({ ...base, name: `${c.name}/login2`, small_b_hex: det(`${c.name}/b2`, 32).toString('hex'), secret_block_b64: det(`${c.name}/sb2`, 48).toString('base64') }, p => {
    if (p.ChallengeResponses.DEVICE_KEY !== c.device_key) throw new Error('DEVICE_KEY missing from PASSWORD_VERIFIER');
    return { ChallengeName: 'DEVICE_SRP_AUTH', Session: 's1', ChallengeParameters: {} };
  });
  ctx2.script.push({ op: 'RespondToAuthChallenge', respond: p => {
    if (p.ChallengeName !== 'DEVICE_SRP_AUTH') throw new Error('expected DEVICE_SRP_AUTH');
    Ad = BigInt('0x' + p.ChallengeResponses.SRP_A);
    return { ChallengeName: 'DEVICE_PASSWORD_VERIFIER', Session: 's2', ChallengeParameters: { SRP_B: Bd.toString(16), SALT: deviceSaltHex, SECRET_BLOCK: sb2, USERNAME: c.user_id_for_srp } };
  } });
  ctx2.script.push({ op: 'RespondToAuthChallenge', respond: p => {
    if (p.ChallengeName !== 'DEVICE_PASSWORD_VERIFIER') throw new Error('expected DEVICE_PASSWORD_VERIFIER');
    devResp = p.ChallengeResponses;
    devKey = serverKey(Ad, Bd, v, big(bDevice));
    const want = signature(devKey, c.device_group_key, c.device_key, devResp.PASSWORD_CLAIM_SECRET_BLOCK, devResp.TIMESTAMP);
    if (devResp.PASSWORD_CLAIM_SIGNATURE !== want) throw new Error(`${c.name}: the server's check of the device signature failed`);
    return { AuthenticationResult: tokens(c.user_id_for_srp), ChallengeParameters: {} };
  } });
  ctx2.pool.client = new FakeClient(ctx2.script);
  nowString = c.device_timestamp;
  await login(ctx2.pool, c.user_id_for_srp, c.password);
  expectDrained(`${c.name} (device login)`);
  const devSrpA = ctx2.pool.client.requests[2].params.ChallengeResponses.SRP_A;
  const authVector = {
    name: c.name,
    device_group_key: c.device_group_key,
    device_key: c.device_key,
    device_password: devicePassword,
    small_a_hex: aDevice.toString('hex'),
    srp_b_hex: Bd.toString(16),
    salt_hex: deviceSaltHex,
    secret_block_b64: sb2,
    timestamp: devResp.TIMESTAMP,
    expected_srp_a_hex: devSrpA,
    expected_password_claim_signature: devResp.PASSWORD_CLAIM_SIGNATURE,
    server_small_b_hex: bDevice.toString('hex'),
    server_verifier_hex: v.toString(16),
    expected_key_hex: devKey.toString('hex'),
  };
  return { verifierVector, authVector };
}

function saltWith(first, label) { const b = det(label, 16); b.set(first, 0); return b; }

(async () => {
  const passwordCases = [
    { name: 'pw-short-salt', pool_id: 'us-east-1_Xy7Pq2Lm9', user_id_for_srp: '5f2c1e8a-7b3d-4c9e-a1f0-2d6e8b4c3a17', password: 'S3cure!Passw0rd', salt_hex: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', timestamp: '2026-03-02T04:05:06Z' },
    { name: 'pw-high-bit-salt', pool_id: 'eu-central-1_AbCdEfGhI', user_id_for_srp: 'carol', password: 'pässwörd with spaces ✓', salt_hex: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', timestamp: '2028-02-29T23:59:59Z' },
    { name: 'pw-leading-zero-salt', pool_id: 'ap-northeast-1_Q9w8E7r6T', user_id_for_srp: 'dave@example.org', password: 'x', salt_hex: '00e9c8a7b6d5f4e3d2c1b0a9', timestamp: '2026-01-09T00:00:00Z' },
    { name: 'pw-short-a', a_bytes: 32, pool_id: 'us-west-2_LoNgA1234', user_id_for_srp: 'erin', password: 'correct horse battery staple', salt_hex: '7f', timestamp: '2026-12-01T12:34:56Z' },
    { name: 'pw-cogauth-a', a_bytes: 40, pool_id: 'us-east-2_CogAuth40', user_id_for_srp: '8d2e4f60-1a3b-4c5d-9e7f-0a1b2c3d4e5f', password: 'correct horse battery staple', salt_hex: '9a8b7c6d5e4f30211203f4e5d6c7b8a9', timestamp: '2026-12-01T12:34:56Z' },
  ];
  const srp = [];
  for (const c of passwordCases) {
    c.small_a_hex = det(`${c.name}/a`, c.a_bytes || 128).toString('hex');
    c.small_b_hex = det(`${c.name}/b`, 32).toString('hex');
    c.secret_block_b64 = det(`${c.name}/secret-block`, 64).toString("base64");
    srp.push(await passwordVector(c));
  }

  const deviceCases = [
    { name: 'device-plain', pool_id: 'us-east-1_Xy7Pq2Lm9', user_id_for_srp: '5f2c1e8a-7b3d-4c9e-a1f0-2d6e8b4c3a17', password: 'S3cure!Passw0rd', device_group_key: '-4Jz3kQp8', device_key: 'us-east-1_0f6c8a52-6b2a-4c1e-9d3f-5a7b8c9d0e1f', device_salt_random: saltWith([0x3c], 'device-plain/salt'), timestamp: '2026-11-26T10:00:00Z', device_timestamp: '2026-11-26T10:05:00Z' },
    { name: 'device-high-bit-salt', pool_id: 'eu-central-1_AbCdEfGhI', user_id_for_srp: 'carol', password: 'pässwörd with spaces ✓', device_group_key: '-yT0bXq2W', device_key: 'eu-central-1_9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', device_salt_random: saltWith([0xa7], 'device-high-bit-salt/salt'), timestamp: '2028-02-29T23:59:59Z', device_timestamp: '2028-03-01T00:00:01Z' },
    { name: 'device-leading-zero-salt', pool_id: 'ap-northeast-1_Q9w8E7r6T', user_id_for_srp: 'dave@example.org', password: 'x', device_group_key: '-Kk1Ll2Mm', device_key: 'ap-northeast-1_00112233-4455-4677-8899-aabbccddeeff', device_salt_random: saltWith([0x00, 0x00, 0x91], 'device-leading-zero-salt/salt'), timestamp: '2026-01-09T00:00:00Z', device_timestamp: '2026-01-09T09:09:09Z' },
    { name: 'device-upper-case-server-salt', pool_id: 'us-west-2_LoNgA1234', user_id_for_srp: 'erin', password: 'correct horse battery staple', device_group_key: '-AaBbCcDd', device_key: 'us-west-2_f1e2d3c4-b5a6-4798-8a7b-6c5d4e3f2a1b', device_salt_random: saltWith([0x05], 'device-upper/salt'), server_salt_hex: s => s.toString('hex').toUpperCase(), timestamp: '2026-12-01T12:34:56Z', device_timestamp: '2026-12-02T01:02:03Z' },
    { name: 'device-fifth', pool_id: 'us-east-1_Xy7Pq2Lm9', user_id_for_srp: 'frank', password: 'Another-Passw0rd', device_group_key: '-Zz9Yy8Xx', device_key: 'us-east-1_abcdef01-2345-4678-9abc-def012345678', device_salt_random: saltWith([0x42], 'device-fifth/salt'), timestamp: '2026-06-15T08:00:00Z', device_timestamp: '2026-06-15T08:00:30Z' },
    { name: 'device-sixth', pool_id: 'us-east-1_Xy7Pq2Lm9', user_id_for_srp: 'grace', password: 'Yet-Another-1', device_group_key: '-Qq7Ww6Ee', device_key: 'us-east-1_12345678-9abc-4def-8123-456789abcdef', device_salt_random: saltWith([0xff], 'device-sixth/salt'), timestamp: '2026-07-01T18:00:00Z', device_timestamp: '2026-07-02T06:00:00Z' },
  ];
  const device_verifiers = [];
  const device_auth = [];
  for (const c of deviceCases) {
    c.device_password_random = det(`${c.name}/password`, 40);
    const { verifierVector, authVector } = await deviceVectors(c);
    device_verifiers.push(verifierVector);
    device_auth.push(authVector);
  }

  const about = (what) => `${what} Produced by tests/data/srp/generate/gen.js driving amazon-cognito-identity-js ${pkgVersion} (CognitoUser itself, against a scripted fake Cognito, with every random byte and timestamp injected), and recomputed independently by tests/data/srp/generate/check_pycognito.py with pycognito. See tests/data/srp/README.md.`;
  const fs = require('fs');
  const outDir = process.argv[2] || 'out';
  fs.writeFileSync(`${outDir}/password-srp-with-server.json`, JSON.stringify({ about: about('Known-answer vectors for USER_SRP_AUTH / PASSWORD_VERIFIER with the server side: server_verifier_hex is v = g^x, server_small_b_hex is b, srp_b_hex is B = k*v + g^b mod N, expected_key_hex is the 16-byte HKDF key both sides derive.'), srp }, null, 1) + '\n');
  fs.writeFileSync(`${outDir}/device-srp.json`, JSON.stringify({ about: about('Known-answer vectors for remembered devices. device_verifiers: ConfirmDevice\'s DeviceSecretVerifierConfig from the random bytes the library drew (40 for the device password, 16 for the salt). device_auth: DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER, where the pool name is replaced by the DeviceGroupKey and the user id by the DeviceKey; salt_hex is the SALT the server sends.'), device_verifiers, device_auth }, null, 1) + '\n');
  console.log(`wrote ${srp.length} password vectors, ${device_verifiers.length} device verifiers, ${device_auth.length} device logins`);
})().catch(e => { console.error(e); process.exit(1); });
