// TLS on a listener, from the same ssl.* settings and store reading as the links' client side:
// the listener's certificate from its keystore, client certificates checked against its
// truststore when ssl.client.auth asks for them, and the principal a certificate stands for.
import type { TLSSocket, TlsOptions } from 'node:tls';
import { createSecureContext } from 'node:tls';
import { keyMaterialProblem, openSslCipherName, tlsMaterial } from '../client/tls-material.js';
import type { ClientAuth, ListenerSsl } from '../config/listeners.js';
import { ANONYMOUS, PrincipalMapper, distinguishedName, userPrincipal } from './principal.js';

export interface ListenerTls {
  options: TlsOptions;
  clientAuth: ClientAuth;
  mapper: PrincipalMapper;
}

/** The listener's TLS options; reads its stores now, so a bad one fails here with its config named. */
export function listenerTls(ssl: ListenerSsl): ListenerTls {
  const material = tlsMaterial(ssl.settings);
  try {
    // tls.Server makes its own context from the options; made here first so that a bad store or
    // password fails with its config named.
    createSecureContext(material);
  } catch (e) {
    throw new Error(keyMaterialProblem(e as NodeJS.ErrnoException, ssl.settings));
  }
  // Checked here too, so that a cipher name outpost cannot map stops start-up rather than a handshake.
  ssl.settings.cipherSuites.forEach(openSslCipherName);
  return {
    // Certificates are checked once the handshake is done (tlsPrincipal), not by OpenSSL during it:
    // a refusal there reaches the log only as "socket hang up", where this way it says why.
    options: { ...material, requestCert: ssl.clientAuth !== 'none', rejectUnauthorized: false },
    clientAuth: ssl.clientAuth,
    mapper: new PrincipalMapper(ssl.principalMappingRules),
  };
}

/**
 * Who the client of a TLS connection is: its certificate's mapped subject, or ANONYMOUS without
 * one. With ssl.client.auth=requested a certificate is optional, but one that does not verify is
 * refused, as Java's TLS refuses it.
 */
export function tlsPrincipal(socket: TLSSocket, tls: ListenerTls): { principal: string } | { problem: string } {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return tls.clientAuth === 'required' ? { problem: 'the client sent no certificate, and ssl.client.auth=required' } : { principal: ANONYMOUS };
  if (!socket.authorized) return { problem: certificateProblem(String(socket.authorizationError)) };
  const dn = distinguishedName(cert);
  try {
    return { principal: userPrincipal(tls.mapper.name(dn)) };
  } catch (e) {
    return { problem: `ssl.principal.mapping.rules: ${(e as Error).message}` };
  }
}

function certificateProblem(code: string): string {
  if (code === 'CERT_HAS_EXPIRED') return "the client's certificate has expired";
  if (code === 'CERT_NOT_YET_VALID') return "the client's certificate is not valid yet";
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/.test(code)) return `the client's certificate is not signed by a CA the listener trusts (${code})`;
  return `the client's certificate was refused (${code})`;
}

/** Why a client's TLS handshake failed, in words for the log. */
export function describeHandshakeError(err: NodeJS.ErrnoException): string {
  const m = err.message;
  if (/wrong version number|http request|packet length too long|unknown protocol/i.test(m)) return 'the client does not speak TLS (a PLAINTEXT or SASL_PLAINTEXT client?)';
  if (/peer did not return a certificate|certificate required/i.test(m)) return 'the client sent no certificate, and ssl.client.auth=required';
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(m)) return "the client's certificate has expired";
  if (/unable to get local issuer|unknown ca|self.signed|unable to verify/i.test(m)) return "the client's certificate is not signed by a CA the listener trusts";
  if (/no shared cipher|no protocols available|unsupported protocol|version too low/i.test(m)) return `no TLS version or cipher suite in common (${m})`;
  if (err.code === 'ECONNRESET') return 'the client closed the connection during the handshake';
  return m;
}
