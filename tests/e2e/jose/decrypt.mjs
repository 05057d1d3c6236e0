// Opens the key broker's JWE with the npm "jose" package: node decrypt.mjs KEY.p8.pem JWE-FILE
// prints the plaintext as hex and the protected header's alg/enc/kid.
import { readFileSync } from 'node:fs';
import { compactDecrypt, importPKCS8 } from 'jose';

const key = await importPKCS8(readFileSync(process.argv[2], 'utf8'), 'ECDH-ES');
const jwe = readFileSync(process.argv[3], 'utf8').trim();
const { plaintext, protectedHeader } = await compactDecrypt(jwe, key);
console.log(`alg=${protectedHeader.alg} enc=${protectedHeader.enc} kid=${protectedHeader.kid}`);
console.log(`plaintext=${Buffer.from(plaintext).toString('hex')}`);
