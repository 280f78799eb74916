#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen-redact-corpus.py [OUTDIR] [--seed N] -- writes the labelled redaction corpus (issue #5).

OUTDIR (default tests/data/redact) gets corpus.log (one log line per line, UTF-8) and
labels.jsonl (one {"line", "start", "end", "type"} object per labelled span: line from 1,
byte offsets within the line, end exclusive -- the format of `cyberbrain redact --spans`).
Python 3 stdlib only, one fixed seed: the same files on every run. --seed N writes a
held-out corpus of the same templates with other values (to check a tuned engine). Every value is made up
here; the labelling conventions are in tests/data/redact/SOURCES.md.
"""
import argparse
import base64
import json
import os
import random
import time

SEED = 20261125
N_LINES = 3000
TYPES = ("EMAIL", "IP", "MAC", "PHONE", "CARD", "IBAN", "SSN", "SECRET", "URL_CREDENTIALS",
         "PATH_USER", "CONTAINER_ID")

R = random.Random(SEED)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "yusuf", "zoe", "maria", "jose", "li", "wei", "fatima", "omar", "priya", "sven", "noor")
LAST = ("smith", "jones", "garcia", "mueller", "rossi", "dubois", "nguyen", "kim", "patel",
        "kowalski", "jansen", "silva", "ivanova", "tanaka", "okafor", "larsen", "novak")
DOMAINS = ("example.com", "example.org", "example.net", "corp.example.com", "mail.acme-corp.io",
           "users.noreply.example.dev", "eu.example-shop.de", "student.uni-example.fr",
           "gmail.com", "outlook.com", "proton.me", "yahoo.co.uk")
HOSTS = ("web-01", "web-02", "api-3", "db-primary", "bastion", "worker-7", "edge-lb1", "ci-runner-4")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"


def pick(seq):
    return seq[R.randrange(len(seq))]


def rstr(alphabet, n):
    return "".join(alphabet[R.randrange(len(alphabet))] for _ in range(n))


def rhex(n):
    return rstr(HEX, n)


def hexid(n):
    """A lowercase hex id with at least one letter and one digit (as real ids nearly always are)."""
    while True:
        s = rhex(n)
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


# ---------------------------------------------------------------- plain (trap) values
def epoch():
    return R.randrange(1795000000, 1796000000)


def iso_ts(frac=3):
    t = time.gmtime(epoch())
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % t[:6]
    if frac:
        s += "." + "".join(pick("0123456789") for _ in range(frac))
    return s + "Z"


def syslog_ts():
    t = time.gmtime(epoch())
    return "%s %2d %02d:%02d:%02d" % (MONTHS[t[1] - 1], t[2], t[3], t[4], t[5])


def clf_ts():
    t = time.gmtime(epoch())
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (t[2], MONTHS[t[1] - 1], t[0], t[3], t[4], t[5])


def plain_ts():
    t = time.gmtime(epoch())
    return "%04d-%02d-%02d %02d:%02d:%02d" % t[:6]


def clock():
    return "%02d:%02d:%02d" % (R.randrange(24), R.randrange(60), R.randrange(60))


def uuid():
    h = rhex(32)
    h = h[:12] + "4" + h[13:16] + pick("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def pid():
    return str(R.randrange(300, 65000))


def port():
    return str(R.randrange(1024, 65535))


def version4():
    return "%d.%d.%d.%d" % (R.randrange(1, 20), R.randrange(0, 20), R.randrange(0, 10), R.randrange(1, 200))


def semver():
    return "%d.%d.%d" % (R.randrange(0, 12), R.randrange(0, 40), R.randrange(0, 30))


def luhn_digit(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_trap(n=16):
    """A Luhn-valid number outside every card IIN range (an order or trace id)."""
    body = pick("1789") + "".join(pick("0123456789") for _ in range(n - 2))
    return body + luhn_digit(body)


def plain10():
    return str(R.randrange(1000000000, 9999999999))


def blk():
    return "blk_" + pick(("-", "")) + str(R.randrange(10**17, 9 * 10**18))


def pod():
    cs = "bcdfghjklmnpqrstvwxz2456789"
    return "%s-%s-%s" % (pick(("web", "api", "worker", "billing", "auth", "ingest")), rstr(cs, 10), rstr(cs, 5))


def oid():
    return "1.3.6.1." + ".".join(str(R.randrange(1, 40)) for _ in range(R.randrange(4, 9)))


def duration():
    return pick(("%dms" % R.randrange(1, 5000), "%.3fs" % (R.random() * 30), "%dm%ds" % (R.randrange(60), R.randrange(60)),
                 "00:%02d:%02d.%03d" % (R.randrange(60), R.randrange(60), R.randrange(1000)), "%dus" % R.randrange(1, 999)))


def trap_version():
    v = version4()
    return pick(("version " + v, "v" + v, "Version: " + v, "ver=" + v, "firmware version " + v,
                 "agent/v" + v, "release " + v, "build version " + v))


def bad_ssn():
    return pick(("000-%02d-%04d" % (R.randrange(1, 100), R.randrange(1, 10000)),
                 "666-%02d-%04d" % (R.randrange(1, 100), R.randrange(1, 10000)),
                 "%d-%02d-%04d" % (R.randrange(900, 1000), R.randrange(1, 100), R.randrange(1, 10000))))


def name():
    return pick(FIRST)


def full_name():
    n = pick(("José Müller", "Zoë Dubois", "Łukasz Nowak", "Ana Ribeiro", "Søren Larsen",
              "Chloé Martin", "Ömer Yılmaz", "Mei Chen", "Grace Hopper", "John Doe"))
    return n


# ---------------------------------------------------------------- labelled values
def email():
    f, l = pick(FIRST), pick(LAST)
    local = pick((f, f + "." + l, f[0] + l, f + "_" + l, f + "+" + pick(("alerts", "ci", "shop")),
                  f + str(R.randrange(1, 99)), l + "." + f))
    return local + "@" + pick(DOMAINS)


def ipv4():
    k = R.randrange(5)
    if k == 0:
        return "10.%d.%d.%d" % (R.randrange(256), R.randrange(256), R.randrange(1, 255))
    if k == 1:
        return "192.168.%d.%d" % (R.randrange(256), R.randrange(1, 255))
    if k == 2:
        return "172.%d.%d.%d" % (R.randrange(16, 32), R.randrange(256), R.randrange(1, 255))
    return "%d.%d.%d.%d" % (pick((23, 34, 45, 52, 66, 81, 93, 104, 151, 185, 198, 203, 212)),
                            R.randrange(256), R.randrange(256), R.randrange(1, 255))


def ipv6():
    k = R.randrange(6)
    if k == 0:
        return "::ffff:" + ipv4()
    if k == 1:
        return "fe80::%x:%x:%x:%x" % tuple(R.randrange(1, 65536) for _ in range(4))
    if k == 2:
        return "2001:db8:%x::%x" % (R.randrange(1, 65536), R.randrange(1, 65536))
    if k == 3:
        return "%s:%x:%x:%x::%x" % (pick(("2a00:1450", "2606:4700", "2a02:26f0", "2600:1f18")),
                                    R.randrange(1, 65536), R.randrange(1, 65536), R.randrange(1, 65536),
                                    R.randrange(1, 65536))
    if k == 4:
        if R.random() < 0.5:
            return ":".join("%x" % R.randrange(1, 65536) for _ in range(8))
        return "2001:db8:0:%x:%x:%x:%x:%x" % tuple(R.randrange(1, 65536) for _ in range(5))
    return "fd%02x:%x:%x::%x:%x" % (R.randrange(256), R.randrange(1, 65536), R.randrange(1, 65536),
                                     R.randrange(1, 65536), R.randrange(1, 65536))


def ip():
    return ipv6() if R.random() < 0.3 else ipv4()


def mac():
    b = [R.randrange(256) for _ in range(6)]
    b[0] &= 0xFE
    k = R.randrange(4)
    if k == 0:
        return ":".join("%02x" % x for x in b)
    if k == 1:
        return ":".join("%02X" % x for x in b)
    if k == 2:
        return "-".join("%02X" % x for x in b)
    return "%02x%02x.%02x%02x.%02x%02x" % tuple(b)


def phone():
    a = pick((212, 415, 646, 312, 206, 617, 303, 512, 305, 702, 213, 404))
    e = R.randrange(200, 1000)
    n = R.randrange(0, 10000)
    k = R.randrange(14)
    if k == 0:
        return "+1 %d %d %04d" % (a, e, n)
    if k == 1:
        return "+1-%d-%d-%04d" % (a, e, n)
    if k == 2:
        return "(%d) %d-%04d" % (a, e, n)
    if k == 3:
        return "%d-%d-%04d" % (a, e, n)
    if k == 4:
        return "%d.%d.%04d" % (a, e, n)
    if k == 5:
        return "+1%d%d%04d" % (a, e, n)
    if k == 6:
        return "+44 20 %04d %04d" % (R.randrange(7000, 8999), R.randrange(10000))
    if k == 7:
        return "020 %04d %04d" % (R.randrange(7000, 8999), R.randrange(10000))
    if k == 8:
        return "+4477009%05d" % R.randrange(100000)
    if k == 9:
        return "+49 30 %d" % R.randrange(1000000, 99999999)
    if k == 10:
        return "+33 %d %02d %02d %02d %02d" % (R.randrange(1, 8), R.randrange(100), R.randrange(100),
                                              R.randrange(100), R.randrange(100))
    if k == 11:
        return "0%d %02d %02d %02d %02d" % (R.randrange(1, 8), R.randrange(100), R.randrange(100),
                                           R.randrange(100), R.randrange(100))
    if k == 12:
        return "+91 %05d %05d" % (R.randrange(70000, 99999), R.randrange(100000))
    return "+1 (%d) %d-%04d" % (a, e, n)


def tel_phone():
    p = phone()
    if p.startswith("+") and R.random() < 0.4:
        p = "+" + "".join(c for c in p if c.isdigit())
    return p


def card():
    k = R.randrange(7)
    if k in (0, 1):
        body, n = "4" + "".join(pick("0123456789") for _ in range(14)), 16
    elif k == 2:
        body, n = "5" + pick("12345") + "".join(pick("0123456789") for _ in range(13)), 16
    elif k == 3:
        body, n = str(R.randrange(2221, 2721)) + "".join(pick("0123456789") for _ in range(11)), 16
    elif k == 4:
        body, n = "3" + pick("47") + "".join(pick("0123456789") for _ in range(12)), 15
    elif k == 5:
        body, n = "4" + "".join(pick("0123456789") for _ in range(11)), 13
    else:
        body, n = "4" + "".join(pick("0123456789") for _ in range(17)), 19
    d = body + luhn_digit(body)
    assert len(d) == n
    sep = pick(("", "", " ", "-"))
    if not sep or n == 13:
        return d
    if n == 15:
        return sep.join((d[:4], d[4:10], d[10:]))
    return sep.join(d[i:i + 4] for i in range(0, n, 4))


IBAN_SPECS = {  # country: BBAN shape, n = digit, a = upper letter, c = letter or digit
    "DE": "n" * 18, "GB": "aaaa" + "n" * 14, "FR": "n" * 10 + "c" * 11 + "nn", "NL": "aaaa" + "n" * 10,
    "ES": "n" * 20, "IT": "a" + "n" * 10 + "c" * 12, "CH": "n" * 5 + "c" * 12, "BE": "n" * 12,
    "AT": "n" * 16, "PL": "n" * 24, "IE": "aaaa" + "n" * 14, "SE": "n" * 20,
}


def iban_check(cc, bban):
    s = bban + cc + "00"
    num = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - num % 97)


def iban(valid=True):
    cc = pick(sorted(IBAN_SPECS))
    bban = "".join(pick("0123456789") if t == "n" else pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if t == "a"
                   else pick("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for t in IBAN_SPECS[cc])
    chk = iban_check(cc, bban)
    if not valid:
        chk = "%02d" % ((int(chk) + R.randrange(1, 90)) % 97 + 2)
        if chk == iban_check(cc, bban):
            chk = "%02d" % ((int(chk) + 1) % 97 + 2)
    s = cc + chk + bban
    if R.random() < 0.45:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def ssn():
    while True:
        a = R.randrange(1, 900)
        if a != 666:
            return "%03d-%02d-%04d" % (a, R.randrange(1, 100), R.randrange(1, 10000))


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt():
    hdr = b64(json.dumps({"alg": pick(("HS256", "RS256")), "typ": "JWT"}, separators=(",", ":")).encode())
    iat = epoch()
    body = {"sub": str(R.randrange(10**5, 10**9)), "iat": iat, "exp": iat + 3600}
    if R.random() < 0.5:
        body["scope"] = pick(("read", "read write", "admin"))
    sig = rstr(B64URL, 43 if hdr.startswith("eyJhbGciOiJIUzI1NiIs") else 86)
    return hdr + "." + b64(json.dumps(body, separators=(",", ":")).encode()) + "." + sig


def password():
    w = pick(("hunter", "Summer", "Winter", "s3cr3t", "Passw0rd", "letmein", "Tr0ub4dor", "correct-horse",
              "prod", "qwerty", "dragon", "admin", "P@ss", "changeme"))
    return w + pick(("", "!", "#", "$", "_", "-", "*")) + str(R.randrange(1, 9999)) + rstr(ALNUM, R.randrange(0, 8))


def url_password():
    """A password as it stands in a URL's userinfo: '@' and '#' percent-encoded."""
    return password().replace("@", "%40").replace("#", "%23")


def token_value():
    k = R.randrange(10)
    if k == 0:
        return "ghp_" + rstr(ALNUM, 36)
    if k == 1:
        return "github_pat_" + rstr(ALNUM, 22) + "_" + rstr(ALNUM, 59)
    if k == 2:
        return "glpat-" + rstr(ALNUM + "-_", 20)
    if k == 3:
        return "xox%s-%d-%d-%s" % (pick("bpas"), R.randrange(10**10, 10**13), R.randrange(10**10, 10**13), rstr(ALNUM, 24))
    if k == 4:
        return jwt()
    if k == 5:
        return "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    if k == 6:
        return "sk-proj-" + rstr(ALNUM + "-_", 48)
    if k == 7:
        return rhex(40)
    if k == 8:
        return base64.b64encode(bytes(R.randrange(256) for _ in range(R.choice((24, 30, 33))))).decode()
    return rstr(ALNUM, R.randrange(20, 40))


def aws_key():
    return pick(("AKIA", "AKIA", "ASIA")) + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def pem():
    kind = pick(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"))
    body = base64.b64encode(bytes(R.randrange(256) for _ in range(R.randrange(60, 180)))).decode()
    body = "MII" + body[3:] if kind != "OPENSSH PRIVATE KEY" else "b3BlbnNzaC1rZXktdjEAAAAA" + body
    sep = pick(("\\n", "\\n", " "))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----%s%s%s-----END %s-----" % (kind, sep, sep.join(lines), sep, kind)


def secret_key_name():
    return pick(("password", "password", "db_password", "PASSWORD", "POSTGRES_PASSWORD", "passwd", "secret",
                 "client_secret", "api_key", "apiKey", "API_KEY", "token", "access_token", "refresh_token",
                 "auth_token", "GITHUB_TOKEN", "SECRET_KEY", "aws_secret_access_key", "x-api-key", "smtp_password"))


def container_id():
    return hexid(64) if R.random() < 0.5 else hexid(12)


# ---------------------------------------------------------------- line families
# A family returns a list of parts: a str (plain text) or a (TYPE, value) tuple (a labelled span).

def f_sshd():
    h = pick(HOSTS)
    u = name()
    k = R.randrange(6)
    pre = "%s %s sshd[%s]: " % (syslog_ts(), h, pid())
    if k == 0:
        return [pre + "Accepted publickey for %s from " % u, ("IP", ip()), " port %s ssh2: RSA SHA256:%s" % (port(), rstr(ALNUM + "+/", 43))]
    if k == 1:
        return [pre + "Failed password for invalid user %s from " % pick(("admin", "oracle", "test", "ubuntu")), ("IP", ip()), " port %s ssh2" % port()]
    if k == 2:
        return [pre + "Connection closed by authenticating user %s " % u, ("IP", ip()), " port %s [preauth]" % port()]
    if k == 3:
        return [pre + "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (u, R.randrange(1000, 2000))]
    if k == 4:
        return [pre + "Received disconnect from ", ("IP", ip()), " port %s:11: disconnected by user" % port()]
    return [pre + "Server listening on 0.0.0.0 port 22."] if R.random() < 0.5 else [pre + "Server listening on :: port 22."]


def f_sudo():
    u = name()
    return ["%s %s sudo: %8s : TTY=pts/%d ; PWD=/home/" % (syslog_ts(), pick(HOSTS), u, R.randrange(9)), ("PATH_USER", u),
            "/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart %s" % (pick(("project", "src/app", "deploy")), pick(("nginx", "postgresql", "docker")))]


def f_dhcp():
    k = R.randrange(4)
    pre = "%s %s " % (syslog_ts(), pick(HOSTS))
    if k == 0:
        return [pre + "dhclient[%s]: DHCPACK of " % pid(), ("IP", ipv4()), " from ", ("IP", ipv4()), " (xid=0x%s)" % rhex(8)]
    if k == 1:
        return [pre + "dnsmasq-dhcp[%s]: DHCPACK(br0) " % pid(), ("IP", ipv4()), " ", ("MAC", mac()), " %s-laptop" % name()]
    if k == 2:
        return [pre + "NetworkManager[%s]: <info>  [%d.%04d] device (wlan0): set-hw-addr: set MAC address to " % (pid(), epoch(), R.randrange(10000)),
                ("MAC", mac()), " (scanned)"]
    return [pre + "kernel: [%d.%06d] e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx" % (R.randrange(100000), R.randrange(10**6))]


def f_arp():
    return ["%s %s kernel: [%d.%06d] IPv4: martian source " % (syslog_ts(), pick(HOSTS), R.randrange(100000), R.randrange(10**6)),
            ("IP", ipv4()), " from ", ("IP", ipv4()), ", on dev eth0 ll header ", ("MAC", mac()), " proto 0x0800"] if R.random() < 0.5 else [
            "? (", ("IP", ipv4()), ") at ", ("MAC", mac()), " [ether] on eth%d" % R.randrange(3)]


UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
      "curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1", "kube-probe/1.28",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15")


def f_nginx_access():
    path = pick(("/api/v1/runs/%d" % R.randrange(1, 99999), "/healthz", "/static/app.%s.js" % rhex(8),
                 "/api/v1/orders?page=%d&page_size=50" % R.randrange(1, 40), "/login", "/metrics"))
    parts = [("IP", ip()), " - - [%s] \"%s " % (clf_ts(), pick(("GET", "GET", "POST", "PUT")))]
    k = R.randrange(5)
    if k == 0:
        parts += ["/password-reset?email=", ("EMAIL", email()), "&lang=%s" % pick(("en", "de", "fr"))]
    elif k == 1:
        parts += ["/api/v1/session?token=", ("SECRET", rstr(ALNUM, 32)), "&ts=%d" % (epoch() * 1000)]
    else:
        parts += [path]
    parts += [" HTTP/1.1\" %d %d %.3f \"-\" \"%s\"" % (pick((200, 200, 201, 204, 301, 404, 500)), R.randrange(0, 90000),
                                                      R.random(), pick(UA))]
    return parts


def f_nginx_error():
    return ["%s [error] %s#%s: *%d connect() failed (111: Connection refused) while connecting to upstream, client: " % (
        plain_ts().replace("-", "/"), pid(), pid(), R.randrange(1, 10**6)), ("IP", ip()),
        ", server: api.example.com, request: \"POST /login HTTP/1.1\", upstream: \"http://", ("IP", ipv4()),
        ":%s/login\", host: \"api.example.com\"" % port()]


def f_json_app():
    k = R.randrange(8)
    head = '{"ts":"%s","level":"%s","logger":"%s",' % (iso_ts(), pick(("info", "warn", "error")), pick(("auth", "billing", "api.http", "mailer")))
    rid = '"request_id":"%s"' % uuid()
    if k == 0:
        return [head + '"msg":"user signed in","user_email":"', ("EMAIL", email()), '","ip":"', ("IP", ip()), '",' + rid + ',"duration_ms":%.1f}' % (R.random() * 90)]
    if k == 1:
        return [head + '"msg":"payment declined","card":"', ("CARD", card()), '","order_id":"%s","amount":%.2f,"currency":"EUR"}' % (luhn_trap(), R.random() * 500)]
    if k == 2:
        return [head + '"msg":"db connect","dsn":"postgres://', ("URL_CREDENTIALS", "%s:%s" % (pick(("app", "svc_billing", "readonly")), url_password())),
                "@", ("IP", ipv4()), ':5432/prod?sslmode=require",' + rid + "}"]
    if k == 3:
        return [head + '"msg":"config loaded","%s":"' % secret_key_name(), ("SECRET", token_value()), '","max_tokens":%d,"prompt_tokens":%d}' % (R.randrange(256, 8192), R.randrange(10, 5000))]
    if k == 4:
        return [head + '"msg":"sms sent","to":"', ("PHONE", phone()), '","provider":"twilio","sid":"SM%s"}' % rhex(32)]
    if k == 5:
        return [head + '"msg":"payout scheduled","iban":"', ("IBAN", iban()), '","amount":%.2f,"trace_id":"%s","span_id":"%s"}' % (R.random() * 9000, rhex(32), rhex(16))]
    if k == 6:
        return ['{"@timestamp":"%s","log.level":"info","message":"kyc check passed","ssn":"' % iso_ts(), ("SSN", ssn()), '","customer":"%s","dob":"19%02d-%02d-%02d"}' % (full_name(), R.randrange(40, 99), R.randrange(1, 13), R.randrange(1, 29))]
    return [head + '"msg":"request done","status":%d,"bytes":%d,"epoch_ms":%d,' % (pick((200, 404, 500)), R.randrange(10**6), epoch() * 1000) + rid + ',"pod":"%s"}' % pod()]


def f_python():
    u = name()
    k = R.randrange(5)
    if k == 0:
        return ['  File "/home/', ("PATH_USER", u), '/venv/lib/python3.11/site-packages/requests/sessions.py", line %d, in request' % R.randrange(100, 900)]
    if k == 1:
        return ['  File "C:\\Users\\', ("PATH_USER", u), '\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\ssl.py", line %d, in do_handshake' % R.randrange(100, 1500)]
    if k == 2:
        return ["%s,%03d ERROR [billing.charge] charge failed for " % (plain_ts(), R.randrange(1000)), ("EMAIL", email()), " card ", ("CARD", card()), ": card_declined (order %s)" % luhn_trap()]
    if k == 3:
        return ["requests.exceptions.ConnectionError: HTTPSConnectionPool(host='", ("IP", ipv4()), "', port=%s): Max retries exceeded with url: /v1/charges (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f%s>: Failed to establish a new connection'))" % (port(), rhex(10))]
    return ["Traceback (most recent call last): KeyError: 'user_id' in /Users/", ("PATH_USER", u), "/src/app/views.py:%d" % R.randrange(10, 500)]


def f_java():
    k = R.randrange(6)
    if k == 0:
        return ["\tat com.example.billing.PaymentService.charge(PaymentService.java:%d)" % R.randrange(20, 900)]
    if k == 1:
        return ["Caused by: java.net.ConnectException: Connection refused (Connection refused) to ", ("IP", ipv4()), ":%s after %s" % (port(), duration())]
    if k == 2:
        return ["%s,%03d INFO  [main] com.zaxxer.hikari.HikariDataSource - HikariPool-1 - Starting with jdbc:postgresql://db.internal:5432/app?user=app&password=" % (plain_ts(), R.randrange(1000)),
                ("SECRET", password()), "&ssl=true"]
    if k == 3:
        return ["%s,%03d INFO  [main] o.s.b.w.e.tomcat.TomcatWebServer - Tomcat started on port(s): 8080 (http) with context path '' in %.3f seconds (process running for %.3f)" % (plain_ts(), R.randrange(1000), R.random() * 9, R.random() * 20)]
    if k == 4:
        return ["%s WARN  [http-nio-8080-exec-%d] c.e.a.AccountController - duplicate signup for " % (plain_ts(), R.randrange(1, 20)), ("EMAIL", email()), " phone ", ("PHONE", phone())]
    return ["java.lang.IllegalStateException: transfer rejected for IBAN ", ("IBAN", iban()), " (reason=AM04, ref=%s)" % rhex(16).upper()]


def f_k8s():
    k = R.randrange(6)
    if k == 0:
        d = rhex(64)
        return ["  Normal   Pulled     %dm   kubelet  Successfully pulled image \"registry.example.com/api:v%s@sha256:%s\" in %s" % (R.randrange(1, 60), semver(), d, duration())]
    if k == 1:
        return ["  Warning  BackOff    %dm   kubelet  Back-off restarting failed container api in pod %s_default(%s)" % (R.randrange(1, 60), pod(), uuid())]
    if k == 2:
        return ["    Container ID:   %s://" % pick(("containerd", "docker", "cri-o")), ("CONTAINER_ID", hexid(64))]
    if k == 3:
        return ['I%02d%02d %s.%06d    %s kuberuntime_manager.go:%d] "Killing container with a grace period" pod="default/%s" podUID="%s" containerName="api" containerID="containerd://' % (
            R.randrange(1, 13), R.randrange(1, 29), clock(), R.randrange(10**6), pid(), R.randrange(100, 1500), pod(), uuid()), ("CONTAINER_ID", hexid(64)), '" gracePeriod=30']
    if k == 4:
        return ["%s  %s  1/1  Running  %d  %dh  " % (pod(), "default", R.randrange(5), R.randrange(1, 99)), ("IP", ipv4()), "  %s  <none>  <none>" % pick(("node-a", "node-b", "ip-10-0-3-7"))]
    return ["%s %s systemd[1]: Started libcontainer container " % (syslog_ts(), pick(HOSTS)), ("CONTAINER_ID", hexid(64)), "."]


def f_docker():
    k = R.randrange(7)
    if k == 0:
        return ['time="%s" level=info msg="ignoring event" container=' % iso_ts(9), ("CONTAINER_ID", hexid(64)),
                ' module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"']
    if k == 1:
        return [("CONTAINER_ID", hexid(12)), "   nginx:%s   \"/docker-entrypoint.…\"   %d hours ago   Up %d hours   " % (semver(), R.randrange(2, 30), R.randrange(1, 2)),
                ("IP", ipv4()), ":%d->80/tcp   web-%d" % (R.randrange(8000, 9000), R.randrange(1, 9))]
    if k == 2:
        return ["Digest: sha256:%s" % rhex(64)]
    if k == 3:
        c = hexid(64)
        return ["open /var/lib/docker/containers/", ("CONTAINER_ID", c), "/", ("CONTAINER_ID", c), "-json.log: no such file or directory"]
    if k == 4:
        return ["%s %s dockerd[%s]: container " % (syslog_ts(), pick(HOSTS), pid()), ("CONTAINER_ID", hexid(12)),
                " exited with code %d after %s" % (pick((0, 1, 137, 143)), duration())]
    if k == 5:
        return ["Status: Downloaded newer image for %s:%s (image id sha256:%s)" % (pick(("nginx", "postgres", "redis")), semver(), rhex(64))]
    return ["%s %s systemd[1]: docker-" % (syslog_ts(), pick(HOSTS)), ("CONTAINER_ID", hexid(64)),
            ".scope: Consumed %.3fs CPU time." % (R.random() * 9)]


def f_db():
    k = R.randrange(7)
    u = pick(("app", "admin", "svc_etl", "readonly", "postgres"))
    if k == 0:
        return ["%s connecting to postgresql://" % iso_ts(), ("URL_CREDENTIALS", "%s:%s" % (u, url_password())), "@db.internal:5432/prod?sslmode=require"]
    if k == 1:
        return ["MONGO_URL=mongodb+srv://", ("URL_CREDENTIALS", "%s:%s" % (u, url_password())), "@cluster0.%s.mongodb.net/?retryWrites=true&w=majority" % rstr("abcdefghijklmnopqrstuvwxyz0123456789", 5)]
    if k == 2:
        return ["celery worker broker=redis://", ("URL_CREDENTIALS", ":" + url_password()), "@", ("IP", ipv4()), ":6379/0 concurrency=%d" % R.randrange(1, 16)]
    if k == 3:
        return ["pq: conninfo host=", ("IP", ipv4()), " port=5432 dbname=app user=%s password=" % u, ("SECRET", password()), " sslmode=require connect_timeout=%d" % R.randrange(1, 30)]
    if k == 4:
        return ["%s [Warning] Access denied for user '%s'@'" % (iso_ts(6), u), ("IP", ipv4()), "' (using password: YES)"]
    if k == 5:
        return ["ConnectionString=Server=tcp:sql.example.net,1433;Database=app;User ID=%s;Password=" % u, ("SECRET", password()), ";Encrypt=True;Connection Timeout=30"]
    return ["amqp connection to amqp://", ("URL_CREDENTIALS", "%s:%s" % (u, url_password())), "@rabbitmq:5672/%%2F established (heartbeat=%ds)" % R.randrange(10, 120)]


def f_http_dump():
    k = R.randrange(9)
    if k == 0:
        return ["> Authorization: Bearer ", ("SECRET", pick((jwt(), jwt(), token_value())))]
    if k == 1:
        up = base64.b64encode(("%s:%s" % (name(), password())).encode()).decode()
        return ["> Authorization: Basic ", ("SECRET", up)]
    if k == 2:
        return ["> Cookie: ", ("SECRET", "sessionid=%s; csrftoken=%s%s" % (rstr(ALNUM, 32), rstr(ALNUM, 32), pick(("", "; theme=dark"))))]
    if k == 3:
        return ["X-Forwarded-For: ", ("IP", ip()), ", ", ("IP", ipv4())]
    if k == 4:
        return ["X-Request-Id: %s" % uuid()] if R.random() < 0.5 else ["< Content-Length: %d" % R.randrange(10**6)]
    if k == 5:
        return ["authorization: bearer ", ("SECRET", jwt())]
    if k == 6:
        return ["curl -sS -H 'Authorization: token ", ("SECRET", token_value()), "' https://api.github.com/repos/acme/app/actions/runs?per_page=%d" % R.randrange(10, 100)]
    if k == 7:
        return ['{"headers":{"Authorization":"Bearer ', ("SECRET", jwt()), '","User-Agent":"%s","X-Real-IP":"' % pick(UA[1:4]), ("IP", ip()), '"}}']
    return ["> Cookie: ", ("SECRET", "_ga=GA1.2.%d.%d; session=%s" % (R.randrange(10**9), epoch(), jwt()))]


def f_ci():
    k = R.randrange(12)
    ts = iso_ts(7)
    if k == 0:
        return ["%s ##[group]Run actions/checkout@v4" % ts]
    if k == 1:
        return ["%s Syncing repository: acme/app in /home/" % ts, ("PATH_USER", "runner"), "/work/app/app"]
    if k == 2:
        return ["%s [command]/usr/bin/git config --local http.https://github.com/.extraheader AUTHORIZATION: basic ***" % ts] if R.random() < 0.5 else [
            "%s git remote set-url origin https://" % ts, ("URL_CREDENTIALS", "x-access-token:ghs_" + rstr(ALNUM, 36)), "@github.com/acme/app.git"]
    if k == 3:
        return ["$ docker login -u gitlab-ci-token -p ", ("SECRET", "glpat-" + rstr(ALNUM + "-_", 20)), " registry.gitlab.com"]
    if k == 4:
        return ["Running with gitlab-runner %s (%s) on docker-runner-%d, git version %s" % (semver(), rhex(8), R.randrange(1, 9), semver())]
    if k == 5:
        return ["npm WARN deprecated lodash@%s: use lodash-es; added %d packages in %ds" % (semver(), R.randrange(100, 2000), R.randrange(2, 90))]
    if k == 6:
        return ["+ export OPENAI_API_KEY=", ("SECRET", "sk-proj-" + rstr(ALNUM + "-_", 48))]
    if k == 7:
        return ["+ rsync -az dist/ deploy@", ("IP", ipv4()), ":/srv/app/ (%d bytes, %s)" % (R.randrange(10**7), duration())]
    if k == 8:
        return ["[Pipeline] sh + /Users/", ("PATH_USER", name()), "/jenkins/workspace/app/gradlew build --build-cache (build #%d)" % R.randrange(1, 9999)]
    if k == 9:
        return ["%s Checking out %s as detached HEAD (ref is main), commit %s" % (ts, rhex(8), rhex(40))]
    if k == 10:
        return ["%s Job succeeded in %s, uploading artifacts... %d bytes, sha256=%s" % (ts, duration(), R.randrange(10**8), rhex(64))]
    return ["git clone https://", ("URL_CREDENTIALS", "oauth2:glpat-" + rstr(ALNUM + "-_", 20)), "@gitlab.com/acme/infra.git"]


def f_config():
    k = R.randrange(12)
    if k == 0:
        return ["  password: ", ("SECRET", password())]
    if k == 1:
        return ['  %s: "' % pick(("api_key", "client_secret", "token", "secret")), ("SECRET", token_value()), '"']
    if k == 2:
        return ["  host: ", ("IP", ipv4())] if R.random() < 0.5 else ["  version: %s" % version4()]
    if k == 3:
        return ["  email: ", ("EMAIL", email())]
    if k == 4:
        return ['{"database":{"host":"db.internal","port":5432,"user":"app","password":"', ("SECRET", password()), '"},"pool":{"max":%d,"timeout":"%ds"}}' % (R.randrange(5, 50), R.randrange(1, 60))]
    if k == 5:
        return ["AWS_ACCESS_KEY_ID=", ("SECRET", aws_key()), " AWS_DEFAULT_REGION=%s" % pick(("us-east-1", "eu-west-1", "eu-central-1"))]
    if k == 6:
        return ["aws_secret_access_key = ", ("SECRET", rstr(ALNUM + "+/", 40))]
    if k == 7:
        return ['{"type":"service_account","project_id":"acme-prod","private_key_id":"%s","private_key":"' % rhex(40), ("SECRET", pem()), '\\n","client_email":"',
                ("EMAIL", "deployer@acme-prod.iam.gserviceaccount.com"), '"}']
    if k == 8:
        return ["%s=%s" % (pick(("max_tokens", "prompt_tokens", "token_count", "secret_name", "password_expires_days", "token_type")),
                           pick(("4096", "512", "db-creds", "90", "Bearer", "%d" % R.randrange(10**6))))]
    if k == 9:
        return ["SLACK_BOT_TOKEN=", ("SECRET", "xoxb-%d-%d-%s" % (R.randrange(10**10, 10**13), R.randrange(10**10, 10**13), rstr(ALNUM, 24)))]
    if k == 10:
        return ["%s=" % secret_key_name(), ("SECRET", pick((password(), token_value()))), " %s=%s" % (pick(("timeout", "retries", "region")), pick(("30s", "3", "eu-west-1")))]
    return ["ssh_key: ", ("SECRET", pem())]


def f_auth():
    k = R.randrange(8)
    ts = iso_ts()
    if k == 0:
        return ["%s auth: login failed for " % ts, ("EMAIL", email()), " from ", ("IP", ip()), " (attempt %d/5)" % R.randrange(1, 6)]
    if k == 1:
        return ["%s mailer: password reset link sent to <" % ts, ("EMAIL", email()), "> (message-id %s, queued %s)" % (uuid(), duration())]
    if k == 2:
        return ["%s notify: SMS code sent to " % ts, ("PHONE", phone()), " (template otp_v%d, %s)" % (R.randrange(1, 9), duration())]
    if k == 3:
        return ["%s crm: contact %s updated: phone=" % (ts, full_name()), ("PHONE", phone()), " email=", ("EMAIL", email())]
    if k == 4:
        return ["%s voice: outbound call to tel:" % ts, ("PHONE", tel_phone()), " lasted %s" % duration()]
    if k == 5:
        return ["%s hr: employee record updated ssn=" % ts, ("SSN", ssn()), " dob=19%02d-%02d-%02d phone=" % (R.randrange(50, 99), R.randrange(1, 13), R.randrange(1, 29)), ("PHONE", phone())]
    if k == 6:
        return ["%s tax: W-9 received, TIN " % ts, ("SSN", ssn()), " for %s, ref %s" % (full_name(), bad_ssn())]
    return ["%s signup: new account " % ts, ("EMAIL", email()), " (%s) from " % full_name(), ("IP", ip()), " ua=%s" % pick(UA[1:])]


def f_payment():
    k = R.randrange(8)
    ts = iso_ts()
    if k == 0:
        return ["%s payments: charge ok card=" % ts, ("CARD", card()), " amount=%.2f auth_code=%06d" % (R.random() * 900, R.randrange(10**6))]
    if k == 1:
        c = card().replace(" ", "").replace("-", "")
        return ["%s payments: charge ok card=%s******%s last4=%s order_id=%s" % (ts, c[:6], c[-4:], c[-4:], luhn_trap())]
    if k == 2:
        return ["%s sepa: transfer %s from " % (ts, rhex(12).upper()), ("IBAN", iban()), " to ", ("IBAN", iban()), " amount=%.2f EUR" % (R.random() * 5000)]
    if k == 3:
        return ["%s sepa: rejected malformed IBAN %s (checksum) batch=%d" % (ts, iban(valid=False), R.randrange(10**6))]
    if k == 4:
        return ["%s refund %s to IBAN " % (ts, "%.2f EUR" % (R.random() * 300)), ("IBAN", iban()), " for order %s" % luhn_trap()]
    if k == 5:
        return ["%s fraud: velocity rule hit for card " % ts, ("CARD", card()), " ip=", ("IP", ip()), " device=%s" % uuid()]
    if k == 6:
        return ["%s billing: invoice INV-%d trace=%s total=%d cents items=%d" % (ts, R.randrange(10**6), luhn_trap(), R.randrange(10**6), R.randrange(1, 20))]
    if R.random() < 0.5:
        return ["%s stripe: webhook evt_%s card_fingerprint=%s exp=%02d/%02d" % (ts, rstr(ALNUM, 24), rstr(ALNUM, 16), R.randrange(1, 13), R.randrange(26, 32))]
    return ["%s payments: tokenized " % ts, ("CARD", card()), " -> tok_%s" % rstr(ALNUM, 24)]


def f_hdfs():
    k = R.randrange(3)
    d = "%02d%02d%02d %s %s INFO dfs." % (R.randrange(8, 10), R.randrange(1, 13), R.randrange(1, 29), clock().replace(":", ""), R.randrange(10, 999))
    if k == 0:
        return [d + "DataNode$PacketResponder: Received block %s of size %d from /" % (blk(), R.randrange(10**8)), ("IP", ipv4())]
    if k == 1:
        return [d + "DataNode$DataXceiver: Receiving block %s src: /" % blk(), ("IP", ipv4()), ":%s dest: /" % port(), ("IP", ipv4()), ":50010"]
    return [d + "FSNamesystem: BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/_task_%d_%04d_m_%06d_0/part-%05d. %s" % (
        R.randrange(10**11, 10**12), R.randrange(10000), R.randrange(10**6), R.randrange(100), blk())]


def f_traps():
    k = R.randrange(20)
    ts = iso_ts()
    if k == 0:
        return ["%s updater: installed %s (was %s), restart in %s" % (ts, trap_version(), trap_version(), duration())]
    if k == 1:
        return ["%s snmpd[%s]: Received SNMP packet(s) from UDP: [127.0.0.1]:%s OID %s" % (syslog_ts(), pid(), port(), oid())]
    if k == 2:
        return ["%s gc: pause %s heap %d->%d bytes epoch_ms=%d" % (ts, duration(), R.randrange(10**9), R.randrange(10**9), epoch() * 1000 + R.randrange(1000))]
    if k == 3:
        return ["commit %s Merge: %s %s md5=%s" % (rhex(40), rhex(7), rhex(7), rhex(32))]
    if k == 4:
        return ["%s worker: job %s done pid=%s uptime=%ds seq=%s inode=%s" % (ts, uuid(), pid(), R.randrange(10**6), plain10(), plain10())]
    if k == 5:
        return ["%s tracing: trace_id=%s parent=%s sampled=1 order=%s" % (ts, luhn_trap(), luhn_trap(), luhn_trap(19))]
    if k == 6:
        return ["Linux version 5.15.0-%d-generic (buildd@lcy02-amd64-%03d) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0) #%d-Ubuntu SMP" % (R.randrange(50, 120), R.randrange(1, 120), R.randrange(50, 130))]
    if k == 7:
        return ["%s scheduler: next run at %s, window %s-%s, cron \"%d */%d * * *\"" % (ts, clock(), clock(), clock(), R.randrange(60), R.randrange(1, 12))]
    if k == 8:
        return ["%s app: listening on 0.0.0.0:%s and [::]:%s, metrics on 127.0.0.1:9090, ::1 ok" % (ts, port(), port())]
    if k == 9:
        return ["SHA256 (app-%s.tar.gz) = %s" % (semver(), rhex(64))]
    if k == 10:
        return ["%s audit: AssumeRole arn:aws:iam::%d:role/deployer session=%s duration=%ds" % (ts, R.randrange(10**11, 10**12), rhex(16), R.randrange(900, 43200))]
    if k == 11:
        return ["%s sync: ticket %s reference %s queue %s" % (ts, bad_ssn(), bad_ssn(), rhex(10).upper())]
    if k == 12:
        return ["%s std::runtime_error in tokio::runtime::task::harness at 18:52:50.%03d; %s Foo::bar() +0000 +05:30" % (ts, R.randrange(1000), clock())]
    if k == 13:
        return ["%s pkg: openssl %s, nginx/%s, Chrome/120.0.%d.%d, kernel %s, python %s" % (ts, semver(), semver(), R.randrange(1000, 9999), R.randrange(10, 300), trap_version(), semver())]
    if k == 14:
        return ["%s kafka: partition %d offset %s lag %d key=%s" % (ts, R.randrange(64), plain10(), R.randrange(10**5), uuid())]
    if k == 15:
        return ["%s metrics: rx_bytes=%d tx_bytes=%d p99=%s p50=%s rps=%.1f" % (ts, R.randrange(10**12), R.randrange(10**12), duration(), duration(), R.random() * 9000)]
    if k == 16:
        return ["%s tls: cert serial %s issuer=CN=R3 fingerprint=%s" % (ts, ":".join(rhex(2) for _ in range(16)), ":".join(rhex(2).upper() for _ in range(20)))]
    if k == 17:
        return ["%s kube-scheduler: Successfully assigned default/%s to node-%d in %s, uid %s" % (ts, pod(), R.randrange(1, 9), duration(), uuid())]
    if k == 18:
        return ["%s app: @timestamp missing; decorator @app.route('/login') retry=%d, ref=%s" % (ts, R.randrange(5), rhex(8))]
    return ["%s app: released v%s-rc.%d+build.%d, schema %s, migration %04d, %s" % (ts, semver(), R.randrange(1, 9), R.randrange(1, 9999), trap_version(), R.randrange(1, 200), "-----BEGIN CERTIFICATE----- MIIB%s -----END CERTIFICATE-----" % rstr(ALNUM, 40))]


def f_secret_misc():
    k = R.randrange(6)
    ts = iso_ts()
    if k == 0:
        return ["%s slack: posting to #alerts with token " % ts, ("SECRET", "xox%s-%d-%d-%s" % (pick("bp"), R.randrange(10**10, 10**13), R.randrange(10**10, 10**13), rstr(ALNUM, 24)))]
    if k == 1:
        return ["%s github: using " % ts, ("SECRET", pick(("ghp_" + rstr(ALNUM, 36), "github_pat_" + rstr(ALNUM, 22) + "_" + rstr(ALNUM, 59)))), " for acme/app (rate limit %d)" % R.randrange(5000)]
    if k == 2:
        return ["%s s3: signing request with access key " % ts, ("SECRET", aws_key()), " region=%s" % pick(("us-east-1", "eu-west-1"))]
    if k == 3:
        return ["%s oauth: issued " % ts, ("SECRET", jwt()), " expires_in=3600 token_type=Bearer"]
    if k == 4:
        return ["%s deploy: loaded key " % ts, ("SECRET", pem())]
    return ["%s llm: request model=gpt-4o prompt_tokens=%d completion_tokens=%d max_tokens=%d x-api-key: " % (ts, R.randrange(10, 5000), R.randrange(1, 2000), pick((1024, 4096))),
            ("SECRET", "sk-ant-api03-" + rstr(ALNUM + "-_", 80))]


def f_paths():
    k = R.randrange(6)
    u = name()
    ts = iso_ts()
    if k == 0:
        return ["%s loader: reading config from /home/" % ts, ("PATH_USER", u), "/.config/app/config.yaml (%d bytes)" % R.randrange(10**5)]
    if k == 1:
        return ["%s crash: report written to /Users/" % ts, ("PATH_USER", u), "/Library/Logs/DiagnosticReports/app-%s.ips" % plain_ts().replace(" ", "-").replace(":", "")]
    if k == 2:
        return ["%s ERROR cannot open C:\\Users\\" % ts, ("PATH_USER", u), "\\Documents\\export-%d.csv: Access is denied." % R.randrange(1, 999)]
    if k == 3:
        return ['{"ts":"%s","msg":"upload","path":"C:\\\\Users\\\\' % ts, ("PATH_USER", u), '\\\\Downloads\\\\scan.pdf","size":%d}' % R.randrange(10**7)]
    if k == 4:
        return ["HOME=/home/", ("PATH_USER", u), " SHELL=/bin/bash PWD=/home/", ("PATH_USER", u), "/src LANG=C.UTF-8"]
    return ["%s photos: Zürich trip — %s uploaded /home/" % (ts, full_name()), ("PATH_USER", u), "/Pictures/IMG_%04d.jpg (%d×%d)" % (R.randrange(10000), 4032, 3024)]


FAMILIES = (  # (weight, family)
    (6, f_sshd), (3, f_sudo), (4, f_dhcp), (3, f_arp), (7, f_nginx_access), (3, f_nginx_error),
    (9, f_json_app), (5, f_python), (5, f_java), (5, f_k8s), (6, f_docker), (5, f_db),
    (7, f_http_dump), (7, f_ci), (8, f_config), (9, f_auth), (8, f_payment), (3, f_hdfs),
    (14, f_traps), (4, f_secret_misc), (4, f_paths),
)


def choose_family():
    total = sum(w for w, _ in FAMILIES)
    x = R.randrange(total)
    for w, f in FAMILIES:
        if x < w:
            return f
        x -= w
    raise AssertionError


def render(parts):
    text, spans, pos = [], [], 0
    for p in parts:
        if isinstance(p, tuple):
            t, v = p
            assert t in TYPES, t
            b = v.encode()
            spans.append((pos, pos + len(b), t))
        else:
            b = p.encode()
        assert b"\n" not in b and b"\r" not in b
        text.append(b)
        pos += len(b)
    return b"".join(text), spans


def main():
    ap = argparse.ArgumentParser(description="Write the labelled redaction corpus.")
    ap.add_argument("outdir", nargs="?",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "redact"))
    ap.add_argument("--seed", type=int, default=SEED, help="another seed: a held-out corpus")
    a = ap.parse_args()
    R.seed(a.seed)
    out = a.outdir
    os.makedirs(out, exist_ok=True)
    lines, labels = [], []
    for n in range(1, N_LINES + 1):
        text, spans = render(choose_family()())
        lines.append(text)
        for s, e, t in spans:
            labels.append({"line": n, "start": s, "end": e, "type": t})
    with open(os.path.join(out, "corpus.log"), "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    with open(os.path.join(out, "labels.jsonl"), "w", encoding="ascii", newline="\n") as f:
        for lab in labels:
            f.write(json.dumps(lab, separators=(", ", ": ")) + "\n")
    counts = {t: 0 for t in TYPES}
    for lab in labels:
        counts[lab["type"]] += 1
    print("%d lines, %d spans: %s" % (len(lines), len(labels), ", ".join("%s %d" % kv for kv in counts.items())))


if __name__ == "__main__":
    main()
