import type {Severity} from './types.js'

/** A kind of finding: its stable id, default severity, the criterion that raises it and where that comes from. */
export interface FindingDef {
  id: string
  severity: Severity
  criterion: string
  reference: string
}

/**
 * Every finding id watchkeeper can report. Ids are stable, dotted and lower-case; the README lists them
 * (generated from this table). Probes raise findings with `finding(id, message)`.
 */
export const FINDINGS: readonly FindingDef[] = [
  // --- basic TLS (tls probe): see docs/probes.md
  {
    id: 'tls.cert.expired',
    severity: 'crit',
    criterion: "the leaf certificate's notAfter is in the past",
    reference: 'testssl.sh (CRITICAL, cap T); Mail Check CertificateExpiryShouldBeInDate (Error)',
  },
  {
    id: 'tls.cert.expiring',
    severity: 'warn',
    criterion:
      'the leaf certificate expires within expiry.warn days (default 30); crit within expiry.crit (default 14)',
    reference: 'testssl.sh DAYS2WARN; Mail Check (14 days); security-checks.md section 6',
  },
  {
    id: 'tls.cert.not_yet_valid',
    severity: 'crit',
    criterion: "the leaf certificate's notBefore is in the future",
    reference: 'RFC 5280 section 4.1.2.5; OpenSSL CERT_NOT_YET_VALID',
  },
  {
    id: 'tls.cert.untrusted',
    severity: 'crit',
    criterion:
      'the chain does not verify to a trusted root (self-signed, unknown issuer, missing intermediate, expired chain certificate)',
    reference: 'testssl.sh chain of trust (cap T); Mail Check RootCertificateShouldBeTrusted; pshtt "HTTPS Bad Chain"',
  },
  {
    id: 'tls.cert.hostname_mismatch',
    severity: 'crit',
    criterion: 'the certificate does not name the host (SNI) checked',
    reference: 'RFC 6125; testssl.sh (cap M); Mail Check CertificateShouldMatchHostName',
  },
  {
    id: 'tls.protocol.below_minimum',
    severity: 'crit',
    criterion: 'the negotiated protocol is older than min_protocol (default TLSv1.2)',
    reference: 'RFC 8996; GOV.UK "support TLS v1.2 or later"; Mozilla intermediate profile',
  },
  // --- security posture (web-security, tls posture, email-security): see docs/posture.md
  {
    id: 'web.cert.invalid',
    severity: 'crit',
    criterion: 'the HTTPS certificate does not verify (untrusted chain, expired, wrong host)',
    reference: 'MDN Observatory hsts-invalid-cert / redirection-invalid-cert; testssl.sh chain of trust',
  },
  {
    id: 'web.redirect.missing',
    severity: 'crit',
    criterion: 'http:// does not redirect',
    reference: 'MDN Observatory redirection-missing (-20); GOV.UK Service Manual "Using HTTPS"',
  },
  {
    id: 'web.redirect.not_https',
    severity: 'crit',
    criterion: 'the http:// redirect chain does not end on https://',
    reference: 'MDN Observatory redirection-not-to-https (-20)',
  },
  {
    id: 'web.redirect.initial_http',
    severity: 'warn',
    criterion: 'the first http:// redirect goes to another http:// URL',
    reference:
      'MDN Observatory redirection-not-to-https-on-initial-redirection (-10); hstspreload redirects.http.first_redirect.insecure',
  },
  {
    id: 'web.redirect.off_host',
    severity: 'warn',
    criterion: 'the first redirect goes to https:// on another host (HSTS for this host is never set)',
    reference: 'MDN Observatory redirection-off-host-from-http (-5)',
  },
  {
    id: 'web.redirect.loop',
    severity: 'crit',
    criterion: 'a redirect chain loops or exceeds 10 hops',
    reference: 'MDN Observatory MAX_REDIRECTS 10; hstspreload redirects.too_many',
  },
  {
    id: 'web.redirect.no_http',
    severity: 'info',
    criterion: 'nothing answers on http:// (no redirect needed)',
    reference: 'MDN Observatory redirection-not-needed-no-http (0)',
  },
  {
    id: 'web.hsts.missing',
    severity: 'crit',
    criterion: 'no Strict-Transport-Security header on the HTTPS response',
    reference: 'MDN Observatory hsts-not-implemented (-20); RFC 6797',
  },
  {
    id: 'web.hsts.invalid',
    severity: 'crit',
    criterion: 'Strict-Transport-Security has no max-age or contains a comma',
    reference: 'MDN Observatory hsts-header-invalid (-20); RFC 6797 section 6.1',
  },
  {
    id: 'web.hsts.duplicate',
    severity: 'crit',
    criterion: 'more than one Strict-Transport-Security header field',
    reference: 'RFC 6797 section 8.1; securityheaders.com duplicate header warning; mozilla/http-observatory#363',
  },
  {
    id: 'web.hsts.short',
    severity: 'warn',
    criterion: 'HSTS max-age under 31,536,000 seconds (one year)',
    reference: 'Internet.nl min_allowed 31536000; hstspreload.org; MDN Observatory deducts 10 below 15,552,000',
  },
  {
    id: 'web.hsts.no_include_subdomains',
    severity: 'info',
    criterion: 'HSTS without includeSubDomains',
    reference: 'hstspreload.org submission requirements; OWASP Secure Headers',
  },
  {
    id: 'web.hsts.preload_ineligible',
    severity: 'info',
    criterion: 'HSTS asks for preload but lacks includeSubDomains or max-age of a year',
    reference: 'hstspreload.org submission requirements',
  },
  {
    id: 'web.csp.missing',
    severity: 'warn',
    criterion: 'no enforced Content-Security-Policy (header or meta); crit when the check sets csp_required',
    reference: 'MDN Observatory csp-not-implemented (-25)',
  },
  {
    id: 'web.csp.report_only',
    severity: 'warn',
    criterion: 'only Content-Security-Policy-Report-Only is sent',
    reference: 'MDN Observatory csp-not-implemented-but-reporting-enabled (-25)',
  },
  {
    id: 'web.csp.invalid',
    severity: 'warn',
    criterion: 'the policy cannot be parsed (a repeated directive, too short, strict-dynamic without nonce or hash)',
    reference: 'MDN Observatory csp-header-invalid (-25)',
  },
  {
    id: 'web.csp.unsafe_inline',
    severity: 'warn',
    criterion:
      "script-src (or default-src) allows 'unsafe-inline', data: or an over-broad source, or object-src is unrestricted",
    reference: 'MDN Observatory csp-implemented-with-unsafe-inline (-20)',
  },
  {
    id: 'web.csp.unsafe_eval',
    severity: 'warn',
    criterion: "script-src or style-src allows 'unsafe-eval'",
    reference: 'MDN Observatory csp-implemented-with-unsafe-eval (-10)',
  },
  {
    id: 'web.csp.insecure_scheme',
    severity: 'warn',
    criterion: 'the policy of an HTTPS page allows http: or ftp: sources',
    reference: 'MDN Observatory csp-implemented-with-insecure-scheme (-20, passive content -10)',
  },
  {
    id: 'web.csp.no_default_src',
    severity: 'info',
    criterion: 'the policy has no default-src',
    reference: 'OWASP Secure Headers recommended CSP',
  },
  {
    id: 'web.csp.no_object_src',
    severity: 'warn',
    criterion: 'the policy restricts neither object-src nor default-src',
    reference: 'MDN Observatory (object-src falls back to *, scored as unsafe)',
  },
  {
    id: 'web.xcto.missing',
    severity: 'warn',
    criterion: 'no X-Content-Type-Options header',
    reference: 'MDN Observatory x-content-type-options-not-implemented (-5)',
  },
  {
    id: 'web.xcto.invalid',
    severity: 'warn',
    criterion: 'X-Content-Type-Options is not exactly nosniff',
    reference: 'MDN Observatory x-content-type-options-header-invalid (-5)',
  },
  {
    id: 'web.xfo.missing',
    severity: 'warn',
    criterion: 'neither X-Frame-Options nor CSP frame-ancestors (clickjacking)',
    reference: 'MDN Observatory x-frame-options-not-implemented (-20)',
  },
  {
    id: 'web.xfo.invalid',
    severity: 'warn',
    criterion: 'X-Frame-Options is not DENY, SAMEORIGIN or ALLOW-FROM, and there is no frame-ancestors',
    reference: 'MDN Observatory x-frame-options-header-invalid (-20)',
  },
  {
    id: 'web.referrer.unsafe',
    severity: 'warn',
    criterion: 'Referrer-Policy is unsafe-url, origin, origin-when-cross-origin, no-referrer-when-downgrade or invalid',
    reference: 'MDN Observatory referrer-policy-unsafe / -header-invalid (-5)',
  },
  {
    id: 'web.referrer.missing',
    severity: 'info',
    criterion: 'no Referrer-Policy (browsers default to strict-origin-when-cross-origin)',
    reference: 'MDN Observatory referrer-policy-not-implemented (0)',
  },
  {
    id: 'web.permissions_policy.missing',
    severity: 'info',
    criterion: 'no Permissions-Policy header',
    reference: 'OWASP Secure Headers; securityheaders.com (not scored by the Observatory)',
  },
  {
    id: 'web.coop.missing',
    severity: 'info',
    criterion: 'no Cross-Origin-Opener-Policy header',
    reference: 'OWASP Secure Headers; mdn/mdn-http-observatory#498 (not in the released scoring)',
  },
  {
    id: 'web.coop.invalid',
    severity: 'info',
    criterion: 'Cross-Origin-Opener-Policy is not a known value',
    reference: 'mdn/mdn-http-observatory#498',
  },
  {
    id: 'web.corp.missing',
    severity: 'info',
    criterion: 'no Cross-Origin-Resource-Policy header',
    reference: 'MDN Observatory corp-not-implemented (0)',
  },
  {
    id: 'web.corp.invalid',
    severity: 'warn',
    criterion: 'Cross-Origin-Resource-Policy is not same-origin, same-site or cross-origin',
    reference: 'MDN Observatory corp-header-invalid (-5)',
  },
  {
    id: 'web.cookie.no_secure',
    severity: 'warn',
    criterion: 'a cookie without the Secure attribute',
    reference: 'MDN Observatory cookies-without-secure-flag (-20, -5 under HSTS)',
  },
  {
    id: 'web.cookie.session_no_secure',
    severity: 'crit',
    criterion: 'a session cookie (name contains login or sess) without Secure',
    reference: 'MDN Observatory cookies-session-without-secure-flag (-40, -10 under HSTS)',
  },
  {
    id: 'web.cookie.session_no_httponly',
    severity: 'warn',
    criterion: 'a session cookie (name contains login or sess) without HttpOnly',
    reference: 'MDN Observatory cookies-session-without-httponly-flag (-30)',
  },
  {
    id: 'web.cookie.samesite_invalid',
    severity: 'warn',
    criterion: 'SameSite empty or not Strict/Lax/None, or SameSite=None without Secure',
    reference: 'MDN Observatory cookies-samesite-flag-invalid (-20)',
  },
  {
    id: 'web.cookie.csrf_no_samesite',
    severity: 'warn',
    criterion: 'an anti-CSRF cookie (name contains csrf) without SameSite',
    reference: 'MDN Observatory cookies-anticsrf-without-samesite-flag (-20)',
  },
  {
    id: 'web.cookie.no_samesite',
    severity: 'info',
    criterion: 'a cookie without SameSite',
    reference: 'MDN Observatory cookies-secure-with-httponly-sessions (0 instead of +5)',
  },
  {
    id: 'web.cors.reflected_credentials',
    severity: 'crit',
    criterion: 'Access-Control-Allow-Origin echoes an arbitrary Origin with Access-Control-Allow-Credentials: true',
    reference: 'MDN Observatory cross-origin-resource-sharing-implemented-with-universal-access (-50)',
  },
  {
    id: 'web.cors.reflected',
    severity: 'warn',
    criterion: 'Access-Control-Allow-Origin echoes an arbitrary Origin (without credentials)',
    reference: 'PortSwigger "CORS origin reflection"; watchkeeper (not scored by the Observatory)',
  },
  {
    id: 'web.cors.wildcard',
    severity: 'info',
    criterion: 'Access-Control-Allow-Origin: * (public)',
    reference: 'MDN Observatory cross-origin-resource-sharing-implemented-with-public-access (0)',
  },
  {
    id: 'web.leak.version',
    severity: 'warn',
    criterion: 'Server, X-Powered-By, X-AspNet-Version or a similar header carries a version number',
    reference: 'OWASP Secure Headers headers_remove.json; testssl.sh banner checks',
  },
  {
    id: 'web.leak.header',
    severity: 'info',
    criterion: 'a technology-disclosing header (X-Powered-By, X-AspNet-Version, X-Generator…) without a version',
    reference: 'OWASP Secure Headers headers_remove.json',
  },
  {
    id: 'web.sri.missing',
    severity: 'info',
    criterion: 'scripts from another site over https without integrity',
    reference: 'MDN Observatory sri-not-implemented-but-external-scripts-loaded-securely (-5)',
  },
  {
    id: 'web.sri.insecure',
    severity: 'crit',
    criterion: 'scripts from another site loaded over http',
    reference: 'MDN Observatory sri-*-external-scripts-not-loaded-securely (-20/-50)',
  },
  {
    id: 'web.body.truncated',
    severity: 'info',
    criterion: 'the page body exceeded the read cap; meta tags and scripts were judged on its first part',
    reference: 'watchkeeper (max_body option)',
  },
  {
    id: 'web.grade.unavailable',
    severity: 'info',
    criterion: 'the page answered with a status the Observatory refuses to grade (<200, or >=400 other than 401/403)',
    reference: 'MDN Observatory scanner/index.js',
  },
  {
    id: 'web.expectation.unmet',
    severity: 'crit',
    criterion: "the grade or score is below the check's expect.min_grade / expect.min_score",
    reference: 'watchkeeper check expectation',
  },
  {
    id: 'securitytxt.missing',
    severity: 'warn',
    criterion: 'no /.well-known/security.txt over HTTPS (404 or other non-200)',
    reference: 'RFC 9116 section 3; sectxt no_security_txt',
  },
  {
    id: 'securitytxt.invalid_media',
    severity: 'warn',
    criterion: 'security.txt Content-Type is not text/plain (charset utf-8), or the body is not UTF-8 text',
    reference: 'RFC 9116 section 3; sectxt invalid_media / invalid_charset',
  },
  {
    id: 'securitytxt.no_contact',
    severity: 'warn',
    criterion: 'no Contact field',
    reference: 'RFC 9116 section 2.5.3; sectxt no_contact',
  },
  {
    id: 'securitytxt.no_expires',
    severity: 'warn',
    criterion: 'no Expires field, more than one, or not an RFC 3339 date-time',
    reference: 'RFC 9116 section 2.5.5; sectxt no_expire / multi_expire / invalid_expiry',
  },
  {
    id: 'securitytxt.expired',
    severity: 'crit',
    criterion: 'Expires is in the past',
    reference: 'RFC 9116 section 2.5.5; sectxt expired',
  },
  {
    id: 'securitytxt.expiring',
    severity: 'warn',
    criterion: 'Expires is less than 30 days ahead',
    reference: 'watchkeeper proposal (security-checks.md section 1E)',
  },
  {
    id: 'securitytxt.long_expiry',
    severity: 'info',
    criterion: 'Expires is more than a year ahead',
    reference: 'RFC 9116 section 2.5.5; sectxt long_expiry',
  },
  {
    id: 'securitytxt.invalid',
    severity: 'warn',
    criterion: 'lines that are not "Field: value", empty values, or an http: Contact URI',
    reference: 'RFC 9116 section 2.5; sectxt invalid_line / no_https',
  },
  {
    id: 'tls.protocol.tls1_0',
    severity: 'crit',
    criterion: 'the server completes a TLS 1.0 handshake',
    reference: 'RFC 8996; testssl.sh (cap B); Mozilla intermediate profile; Internet.nl (bad)',
  },
  {
    id: 'tls.protocol.tls1_1',
    severity: 'crit',
    criterion: 'the server completes a TLS 1.1 handshake',
    reference: 'RFC 8996; testssl.sh (cap B); Mozilla intermediate profile; Internet.nl (bad)',
  },
  {
    id: 'tls.protocol.no_modern',
    severity: 'crit',
    criterion: 'neither TLS 1.2 nor TLS 1.3 is accepted',
    reference: 'testssl.sh (cap C); Mail Check Tls12Available; GOV.UK "TLS v1.2 or later"',
  },
  {
    id: 'tls.protocol.no_tls1_3',
    severity: 'info',
    criterion: 'TLS 1.3 is not accepted',
    reference: 'testssl.sh (LOW); Mail Check Tls13Available (informational)',
  },
  {
    id: 'tls.protocol.ssl_untested',
    severity: 'info',
    criterion: 'SSLv2/SSLv3 were not tested: Node.js cannot offer them (ERR_TLS_INVALID_PROTOCOL_VERSION)',
    reference: 'security-checks.md section 5 (Node feasibility)',
  },
  {
    id: 'tls.cipher.null',
    severity: 'crit',
    criterion: 'a NULL-encryption suite is accepted',
    reference: 'testssl.sh (cap F); Mail Check (FAIL)',
  },
  {
    id: 'tls.cipher.export',
    severity: 'crit',
    criterion: 'an EXPORT-grade suite is accepted',
    reference: 'testssl.sh (cap F, FREAK); Mail Check (FAIL)',
  },
  {
    id: 'tls.cipher.anonymous',
    severity: 'crit',
    criterion: 'an anonymous (unauthenticated) key-exchange suite is accepted',
    reference: 'testssl.sh; Mail Check (FAIL)',
  },
  {
    id: 'tls.cipher.3des',
    severity: 'crit',
    criterion: 'a 3DES suite is accepted (64-bit block, SWEET32)',
    reference: 'testssl.sh SWEET32; Mail Check (WARNING); security-checks.md proposal (fail)',
  },
  {
    id: 'tls.cipher.rc4',
    severity: 'crit',
    criterion: 'an RC4 suite is accepted',
    reference: 'RFC 7465; testssl.sh (cap B)',
  },
  {
    id: 'tls.cipher.cbc_sha1',
    severity: 'warn',
    criterion: 'a CBC suite with SHA-1 MAC is accepted on TLS 1.2 or below',
    reference: 'Mail Check (WARNING); Mozilla intermediate profile',
  },
  {
    id: 'tls.cipher.no_forward_secrecy',
    severity: 'warn',
    criterion: 'a static-RSA key-exchange suite (no forward secrecy) is accepted',
    reference: 'testssl.sh (cap B); Mail Check TLS_RSA_* (WARNING)',
  },
  {
    id: 'tls.cipher.untested',
    severity: 'info',
    criterion: 'cipher families the local OpenSSL cannot offer (EXPORT, RC4 when absent) were not tested',
    reference: 'security-checks.md section 5 (Node feasibility)',
  },
  {
    id: 'tls.kex.weak_dh',
    severity: 'warn',
    criterion: 'an ephemeral Diffie-Hellman group under 2048 bits',
    reference: 'Mozilla intermediate dh_param_size 2048; Mail Check TlsSecureDiffieHellmanGroupSelected',
  },
  {
    id: 'tls.key.weak',
    severity: 'crit',
    criterion: 'a certificate in the chain with an RSA key under 2048 bits or an EC key under 256 bits',
    reference: 'Mail Check AllCertificatesShouldHaveStrongKey; Mozilla rsa_key_size 2048',
  },
  {
    id: 'tls.sig.sha1',
    severity: 'crit',
    criterion: 'a presented certificate (other than a root) is signed with SHA-1 or MD5',
    reference: 'testssl.sh (SHA1 cap T, MD5 cap F); CA/Browser Forum Baseline Requirements',
  },
  {
    id: 'tls.chain.expired',
    severity: 'crit',
    criterion: 'a certificate in the presented chain (leaf or intermediate) has expired or is not yet valid',
    reference: 'Mail Check CertificateExpiryShouldBeInDate (every certificate)',
  },
  {
    id: 'tls.chain.expiring',
    severity: 'warn',
    criterion: 'a certificate in the chain expires within 30 days (crit within 14)',
    reference: 'Mail Check (14 days warning); testssl.sh DAYS2WARN2 30; security-checks.md proposal',
  },
  {
    id: 'tls.cert.lifetime',
    severity: 'warn',
    criterion:
      "the leaf is valid for longer than the maximum for its issue date (notBefore): 398 days before 2026-03-15, 200 from then, 100 from 2027-03-15, 47 from 2029-03-15 (or the check's max_lifetime_days); crit when it chains to a public root (mis-issued)",
    reference:
      'CA/Browser Forum ballot SC-081 (Baseline Requirements 6.3.2); BR 4.9.1.1 (revocation of mis-issued certificates)',
  },
  {
    id: 'tls.ocsp.no_staple',
    severity: 'info',
    criterion:
      'no OCSP response stapled although the leaf names an OCSP responder (Authority Information Access); nothing is raised for a leaf without one',
    reference:
      "testssl.sh (LOW when the certificate has an OCSP URI); CA/B Forum made OCSP optional (2023); Let's Encrypt ended OCSP (August 2025)",
  },
  {
    id: 'tls.posture.incomplete',
    severity: 'warn',
    criterion: 'some posture handshakes failed for reasons other than a refusal (time-outs, resets)',
    reference: 'watchkeeper',
  },
  {
    id: 'email.domain.nxdomain',
    severity: 'crit',
    criterion: 'the mail domain itself does not exist (NXDOMAIN for both MX and TXT); no other record is judged',
    reference: 'RFC 8020; RFC 5321 section 5.1',
  },
  {
    id: 'email.mx.missing',
    severity: 'crit',
    criterion: 'the domain has no MX records',
    reference: 'RFC 5321 section 5.1; Mail Check MX',
  },
  {
    id: 'email.mx.null',
    severity: 'info',
    criterion: 'the domain publishes a null MX (accepts no mail)',
    reference: 'RFC 7505',
  },
  {
    id: 'email.mx.unresolvable',
    severity: 'warn',
    criterion: 'an MX host has no A or AAAA record',
    reference: 'RFC 5321 section 5.1',
  },
  {
    id: 'email.spf.missing',
    severity: 'crit',
    criterion: 'no TXT record starting v=spf1',
    reference: 'RFC 7208; GOV.UK "Securing government email"',
  },
  {
    id: 'email.spf.multiple',
    severity: 'crit',
    criterion: 'more than one SPF record (permerror)',
    reference: 'RFC 7208 section 4.5; Mail Check OnlyOneSpfRecord',
  },
  {
    id: 'email.spf.syntax',
    severity: 'crit',
    criterion: 'an unknown mechanism or modifier, a repeated redirect, or all not last',
    reference: 'RFC 7208 sections 4.6, 5, 6; Mail Check SPF error rules; checkdmarc',
  },
  {
    id: 'email.spf.all_permissive',
    severity: 'crit',
    criterion: 'the record ends +all or ?all, or has neither all nor redirect',
    reference: 'Mail Check ShouldHaveHardFailAllEnabled; Internet.nl invalid_all',
  },
  {
    id: 'email.spf.softfail',
    severity: 'info',
    criterion: 'the record ends ~all (consider -all once DMARC enforces)',
    reference: 'security-checks.md section 1G proposal',
  },
  {
    id: 'email.spf.too_many_lookups',
    severity: 'crit',
    criterion: 'more than 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) including nested includes',
    reference: 'RFC 7208 section 4.6.4; Mail Check (error above 10)',
  },
  {
    id: 'email.spf.lookups_at_limit',
    severity: 'warn',
    criterion: 'exactly 10 DNS-querying terms',
    reference: 'Mail Check (warning at 10)',
  },
  {
    id: 'email.spf.void_lookups',
    severity: 'crit',
    criterion: 'more than 2 lookups returning no records',
    reference: 'RFC 7208 section 4.6.4; checkdmarc',
  },
  {
    id: 'email.spf.include_error',
    severity: 'crit',
    criterion: 'an include or redirect target has no SPF record, or its lookup failed',
    reference: 'RFC 7208 sections 5.2, 6.1 (permerror)',
  },
  {
    id: 'email.spf.ptr',
    severity: 'warn',
    criterion: 'the record uses the ptr mechanism',
    reference: 'RFC 7208 section 5.5 (SHOULD NOT); Mail Check DontUsePtrMechanism',
  },
  {
    id: 'email.spf.too_long',
    severity: 'info',
    criterion: 'the record is longer than 450 bytes',
    reference: 'Mail Check ShouldBeSmallEnoughForUdp; checkdmarc',
  },
  {
    id: 'email.dmarc.missing',
    severity: 'crit',
    criterion: 'no TXT record starting v=DMARC1 at _dmarc.<domain>',
    reference: 'RFC 7489; GOV.UK "Securing government email"',
  },
  {
    id: 'email.dmarc.multiple',
    severity: 'crit',
    criterion: 'more than one DMARC record',
    reference: 'RFC 7489 section 6.6.3; Mail Check OnlyOneDmarcRecord',
  },
  {
    id: 'email.dmarc.invalid',
    severity: 'crit',
    criterion: 'v=DMARC1 not first, no p= tag, or an unknown p/sp value',
    reference: 'Mail Check VersionMustBeFirstTag / PolicyTagMustExist',
  },
  {
    id: 'email.dmarc.p_none',
    severity: 'warn',
    criterion: 'p=none (monitoring only)',
    reference: 'Mail Check (warning); nuclei dmarc-weak-policy',
  },
  {
    id: 'email.dmarc.sp_none',
    severity: 'warn',
    criterion: 'sp=none (subdomains unprotected)',
    reference: 'Mail Check (warning)',
  },
  {
    id: 'email.dmarc.pct',
    severity: 'warn',
    criterion: 'pct below 100',
    reference: 'Mail Check (warning when pct is not 100)',
  },
  {
    id: 'email.dmarc.no_rua',
    severity: 'warn',
    criterion: 'no rua (aggregate reports) tag',
    reference: 'Mail Check; GOV.UK (set up DMARC reporting)',
  },
  {
    id: 'email.dmarc.rua_invalid',
    severity: 'warn',
    criterion: 'a rua/ruf URI that is not mailto:, or more than 2 URIs',
    reference: 'Mail Check rua/ruf rules',
  },
  {
    id: 'email.dmarc.too_long',
    severity: 'crit',
    criterion: 'the record is longer than 450 characters',
    reference: 'Mail Check MaxLengthOf450Characters',
  },
  {
    id: 'email.mtasts.missing',
    severity: 'warn',
    criterion: 'no _mta-sts TXT record',
    reference: 'RFC 8461; Mail Check; GOV.UK requires MTA-STS',
  },
  {
    id: 'email.mtasts.invalid_record',
    severity: 'warn',
    criterion: 'the _mta-sts record is not "v=STSv1; id=<1-32 alphanumerics>", or there are several',
    reference: 'RFC 8461 section 3.1; Mail Check OnlyOneMtaStsRecord',
  },
  {
    id: 'email.mtasts.policy_unavailable',
    severity: 'crit',
    criterion:
      'the policy cannot be fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt (no answer, bad certificate, non-200, redirect)',
    reference: 'RFC 8461 section 3.3',
  },
  {
    id: 'email.mtasts.policy_invalid',
    severity: 'crit',
    criterion: 'the policy is not text/plain, lacks version STSv1, mode, max_age, or mx when mode is not none',
    reference: 'RFC 8461 section 3.2; Mail Check MxShouldBePresent',
  },
  {
    id: 'email.mtasts.testing',
    severity: 'warn',
    criterion: 'policy mode is testing',
    reference: 'Mail Check MtaStsShouldBeEnforced',
  },
  {
    id: 'email.mtasts.mode_none',
    severity: 'warn',
    criterion: 'policy mode is none',
    reference: 'Mail Check MtaStsShouldBeEnforced',
  },
  {
    id: 'email.mtasts.max_age_short',
    severity: 'warn',
    criterion: 'max_age under 1,209,600 seconds (two weeks)',
    reference: 'Mail Check MaxAgeStrongKeyRule',
  },
  {
    id: 'email.mtasts.mx_mismatch',
    severity: 'crit',
    criterion: 'an MX host matches no mx pattern of the policy (warn in testing mode)',
    reference: 'RFC 8461 section 4.1; security-checks.md proposal',
  },
  {
    id: 'email.tlsrpt.missing',
    severity: 'warn',
    criterion: 'no _smtp._tls TXT record',
    reference: 'RFC 8460; Mail Check; GOV.UK requires TLS-RPT',
  },
  {
    id: 'email.tlsrpt.invalid',
    severity: 'warn',
    criterion:
      'the record does not start v=TLSRPTv1, has no rua, a rua that is not mailto:/https:, or there are several',
    reference: 'RFC 8460 section 3; Mail Check',
  },
  {
    id: 'email.dkim.missing',
    severity: 'crit',
    criterion: 'no DKIM key at <selector>._domainkey.<domain> for a selector the check names',
    reference: 'RFC 6376 section 3.6.2',
  },
  {
    id: 'email.dkim.revoked',
    severity: 'warn',
    criterion: 'the DKIM record has an empty p= (revoked key)',
    reference: 'RFC 6376 section 3.6.1; Mail Check',
  },
  {
    id: 'email.dkim.invalid',
    severity: 'crit',
    criterion: 'the DKIM record has no p= tag or the key cannot be read',
    reference: 'RFC 6376 section 3.6.1; Mail Check',
  },
  {
    id: 'email.dkim.weak_key',
    severity: 'crit',
    criterion: 'a DKIM RSA key under 1024 bits',
    reference: 'RFC 8301 section 3.2; Mail Check (error)',
  },
  {
    id: 'email.dkim.short_key',
    severity: 'warn',
    criterion: 'a DKIM RSA key of 1024-2047 bits (2048 recommended)',
    reference: 'Mail Check ("We recommend a stronger key size of 2048-bits")',
  },
  {
    id: 'email.starttls.missing',
    severity: 'crit',
    criterion: 'an MX host does not advertise STARTTLS',
    reference: 'Mail Check; GOV.UK "TLS v1.2 or later for sending and receiving"',
  },
  {
    id: 'email.starttls.failed',
    severity: 'crit',
    criterion: 'the STARTTLS handshake on an MX host fails',
    reference: 'Mail Check Tls12Available (FAIL)',
  },
  {
    id: 'email.starttls.legacy',
    severity: 'crit',
    criterion: 'STARTTLS negotiates a protocol older than TLS 1.2',
    reference: 'Mail Check Tls12Available; GOV.UK TLS 1.2+',
  },
  {
    id: 'email.starttls.cert_invalid',
    severity: 'warn',
    criterion: 'the MX certificate does not verify for the MX host name',
    reference: 'Mail Check certificate rules; RFC 8461 (required under MTA-STS enforce)',
  },
  {
    id: 'email.starttls.inconclusive',
    severity: 'info',
    criterion: 'port 25 of an MX host could not be reached (often blocked outbound); not a failure',
    reference: 'Mail Check TCP_CONNECTION_FAILED (INCONCLUSIVE)',
  },
  {
    id: 'email.expectation.unmet',
    severity: 'crit',
    criterion: "a value differs from the check's expect: (dmarc_policy, spf_all, mta_sts_mode…)",
    reference: 'watchkeeper check expectation',
  },
  {
    id: 'dns.caa.missing',
    severity: 'info',
    criterion: 'no CAA record on the domain or any parent',
    reference: 'RFC 8659; Internet.nl caa.md; testssl.sh (LOW)',
  },
  {
    id: 'dns.caa.invalid',
    severity: 'warn',
    criterion: 'CAA records without an issue tag, or an iodef that is not mailto:/https:',
    reference: 'RFC 8659; Internet.nl caa.md',
  },
  {
    id: 'dns.lookup.failed',
    severity: 'warn',
    criterion:
      'a DNS lookup failed (SERVFAIL, time-out, malformed or truncated answer), so part of the posture is unknown',
    reference: 'watchkeeper',
  },
  // --- end of security posture
]

const BY_ID = new Map(FINDINGS.map((f) => [f.id, f]))

export function findingDef(id: string): FindingDef | undefined {
  return BY_ID.get(id)
}

/** A finding of a registered id with its default severity (or an override). Unknown ids throw: register them above. */
export function finding(
  id: string,
  message: string,
  severity?: Severity,
): {id: string; severity: Severity; message: string} {
  const def = BY_ID.get(id)
  if (!def) throw new Error(`unregistered finding id ${id}`)
  return {id, severity: severity ?? def.severity, message}
}
