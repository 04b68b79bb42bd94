#!/usr/bin/env python3
"""Structure check of deploy/ and the CI workflow (Docker's daemon does not run on the
development machines, so the stack is never brought up here).

    tests/deploy/validate_deploy.py REPO SPACETIME_BIN [--self-test]

Checks docker-compose.yml (services, images/builds, ports, depends_on targets and their
healthchecks, volumes, bind mounts that exist, the nginx config and Certbot paths, every
`spacetime` command line and SPACETIME_* variable against that subcommand's --help), the
Dockerfile (build stage runs scripts/setup --build-only, runtime stage on debian:12-slim with
a package for every library the binary needs, non-root USER, HEALTHCHECK), the Keycloak
realm export, the gateways' spacetime.toml, .env.example and .github/workflows/ci.yml.
--self-test also breaks each file in memory in known ways and fails unless every break is
caught. Prints every problem, exits 1 if any.
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib

import yaml

REQUIRED_SERVICES = ["redis", "postgres", "influxdb", "keycloak", "nginx", "gateway-1",
                     "gateway-2", "history"]
NGINX_CONF = "/etc/nginx/conf.d/default.conf"
WEB_ROOT = "/usr/share/spacetime/web"
NOTES = set()


class Files:
    """Everything the checks read, loaded once (the self-test mutates copies)."""

    def __init__(self, repo):
        self.repo = repo
        deploy = os.path.join(repo, "deploy")
        with open(os.path.join(deploy, "docker-compose.yml")) as f:
            self.compose = yaml.safe_load(f)
        with open(os.path.join(deploy, "Dockerfile")) as f:
            self.dockerfile = f.read()
        with open(os.path.join(deploy, "keycloak", "spacetime-realm.json")) as f:
            self.realm = json.load(f)
        with open(os.path.join(deploy, "spacetime.toml"), "rb") as f:
            self.toml = tomllib.load(f)
        with open(os.path.join(deploy, ".env.example")) as f:
            self.env_example = f.read()
        with open(os.path.join(repo, ".github", "workflows", "ci.yml")) as f:
            self.workflow = yaml.safe_load(f)
        with open(os.path.join(repo, "scripts", "setup")) as f:
            self.setup = f.read()
        with open(os.path.join(deploy, "docker-compose.yml")) as f:
            self.compose_text = f.read()
        conf = os.path.join(deploy, "nginx", "spacetime.conf")
        self.nginx = open(conf).read() if os.path.exists(conf) else None


def is_spacetime(service):
    image = str(service.get("image", ""))
    return "spacetime" in image or "build" in service


def healthcheck_of(name, service, dockerfile):
    """The effective healthcheck: the service's own, else the image's (the SpaceTime image
    has one), None when there is none or it is disabled."""
    hc = service.get("healthcheck")
    if hc is not None:
        if hc.get("disable") or hc.get("test") in (["NONE"], "NONE"):
            return None
        return hc
    if is_spacetime(service) and re.search(r"^HEALTHCHECK\s", dockerfile, re.M):
        return {"test": "image"}
    return None


def mount_parts(volume):
    if isinstance(volume, dict):
        return volume.get("source", ""), volume.get("target", ""), volume.get("type")
    parts = str(volume).split(":")
    if len(parts) == 1:
        return None, parts[0], "volume"
    source, target = parts[0], parts[1]
    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
    return source, target, kind


def check_compose(f, problems, helps):
    c = f.compose
    services = c.get("services") or {}
    declared_volumes = set((c.get("volumes") or {}).keys())
    deploy_dir = os.path.join(f.repo, "deploy")
    for name in REQUIRED_SERVICES:
        if name not in services:
            problems.append(f"compose: service {name} is missing")
    lives = [n for n in services if n == "live" or n.startswith("live-")]
    if not lives:
        problems.append("compose: no live service (live or live-N)")
    for name, s in services.items():
        if "image" not in s and "build" not in s:
            problems.append(f"compose: {name} has neither image nor build")
        deps = s.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, how in deps.items():
            if dep not in services:
                problems.append(f"compose: {name} depends on {dep}, which is not a service")
                continue
            cond = (how or {}).get("condition", "service_started")
            if cond == "service_healthy":
                if healthcheck_of(dep, services[dep], f.dockerfile) is None:
                    problems.append(f"compose: {name} waits for {dep} to be healthy, but {dep} "
                                    "has no healthcheck")
            elif cond != "service_completed_successfully":
                problems.append(f"compose: {name} depends on {dep} with condition {cond}, not "
                                "service_healthy")
        for v in s.get("volumes") or []:
            source, target, kind = mount_parts(v)
            if kind == "volume" and source and source not in declared_volumes:
                problems.append(f"compose: {name} mounts volume {source}, not declared under "
                                "volumes:")
            if kind == "bind":
                path = os.path.normpath(os.path.join(deploy_dir, source))
                pending = path == os.path.normpath(os.path.join(deploy_dir, "nginx", "spacetime.conf"))
                if not os.path.exists(path) and not pending:
                    problems.append(f"compose: {name} mounts {source}, which does not exist "
                                    f"({path})")
    # Long-running services other than one-shots and the Certbot profile need a healthcheck,
    # except the SpaceTime roles without an HTTP port (live, history), which say why.
    for name in ["redis", "postgres", "influxdb", "keycloak", "nginx", "gateway-1", "gateway-2"]:
        if name in services and healthcheck_of(name, services[name], f.dockerfile) is None:
            problems.append(f"compose: {name} has no healthcheck")
    for name in ["gateway-1", "gateway-2", "nginx", "history"] + lives:
        if name in services and not (services[name].get("depends_on")):
            problems.append(f"compose: {name} has no depends_on")

    nginx = services.get("nginx", {})
    if not str(nginx.get("image", "")).startswith("nginx:stable"):
        problems.append("compose: nginx must use the nginx:stable image")
    ports = [str(p) for p in nginx.get("ports") or []]
    for port in ("80", "443"):
        if not any(p.split(":")[-1].split("/")[0] == port for p in ports):
            problems.append(f"compose: nginx does not publish port {port}")
    targets = {}
    for v in nginx.get("volumes") or []:
        source, target, kind = mount_parts(v)
        targets[target] = (source, kind)
    conf = targets.get(NGINX_CONF)
    if not conf or os.path.normpath(conf[0]) != os.path.normpath("./nginx/spacetime.conf"):
        problems.append(f"compose: nginx must mount ./nginx/spacetime.conf at {NGINX_CONF}")
    for path in ("/etc/letsencrypt", "/var/www/certbot", WEB_ROOT):
        if path not in targets:
            problems.append(f"compose: nginx does not mount {path}")
    if f.nginx is None:
        # Issue 11's nginx work writes it; until it is merged its checks cannot run.
        NOTES.add("deploy/nginx/spacetime.conf is not in this tree yet: the nginx config "
                  "checks are skipped")
    else:
        text = f.nginx
        for upstream in re.findall(r"^\s*server\s+([\w.-]+):(\d+)", text, re.M):
            host, port = upstream
            if host not in services:
                problems.append(f"nginx: upstream {host}:{port} is not a compose service")
            elif f'"{port}"' not in json.dumps(services[host].get("command", "")) and \
                    port != "8080":
                problems.append(f"nginx: upstream {host}:{port}, but {host} does not listen on {port}")
        roots = re.findall(r"^\s*root\s+([^;]+);", text, re.M)
        if WEB_ROOT not in [r.strip() for r in roots]:
            problems.append(f"nginx: no server has root {WEB_ROOT}")

    kc = services.get("keycloak", {})
    if f.nginx is not None:
        check_keycloak_proxy(f, kc, problems)
    if not str(kc.get("image", "")).startswith("quay.io/keycloak/keycloak"):
        problems.append("compose: keycloak must use quay.io/keycloak/keycloak")
    cmd = kc.get("command") or []
    cmd = cmd.split() if isinstance(cmd, str) else cmd
    if "start-dev" not in cmd or "--import-realm" not in cmd:
        problems.append("compose: keycloak must run start-dev --import-realm")
    if not any(mount_parts(v)[1].startswith("/opt/keycloak/data/import/") and
               mount_parts(v)[0].endswith("keycloak/spacetime-realm.json")
               for v in kc.get("volumes") or []):
        problems.append("compose: keycloak does not mount the realm export into "
                        "/opt/keycloak/data/import/")

    # Every SpaceTime command line against its subcommand's --help.
    shards = []
    for name, s in services.items():
        if not is_spacetime(s) or s.get("entrypoint"):
            continue
        cmd = s.get("command")
        if not cmd:
            problems.append(f"compose: {name} runs the image without a command")
            continue
        cmd = cmd.split() if isinstance(cmd, str) else [str(x) for x in cmd]
        sub = cmd[0]
        help_text = helps(sub)
        if help_text is None:
            problems.append(f"compose: {name}: `spacetime {sub}` is not a subcommand")
            continue
        for arg in cmd[1:]:
            if arg.startswith("--"):
                flag = arg.split("=")[0]
                if not re.search(r"(^|[\s,])" + re.escape(flag) + r"\b", help_text, re.M):
                    problems.append(f"compose: {name}: `spacetime {sub}` has no flag {flag}")
        # The environment layer applies every setting in every subcommand (serve lists them
        # all); SPACETIME_REDIS_URL and SPACETIME_CONFIG are the distributed commands' own.
        for key in (s.get("environment") or {}):
            if key.startswith("SPACETIME_") and key not in help_text and \
                    key not in (helps("serve") or ""):
                problems.append(f"compose: {name}: `spacetime {sub}` reads no {key}")
        if sub == "live" and "--shard" in cmd:
            shards.append(cmd[cmd.index("--shard") + 1])
        if sub in ("gateway", "serve") and "--port" in cmd:
            if cmd[cmd.index("--port") + 1] != "8080":
                problems.append(f"compose: {name} must listen on 8080 (nginx's upstreams)")
    if shards:
        counts = {s.split("/")[1] for s in shards}
        indexes = sorted(int(s.split("/")[0]) for s in shards)
        if len(counts) != 1 or indexes != list(range(int(counts.pop()))):
            problems.append(f"compose: live shards {shards} do not cover i/N for every i < N once")

    # Secrets: every ${VAR} the compose file needs is in .env.example, none is committed.
    needed = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", f.compose_text))
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", f.env_example, re.M))
    for var in sorted(needed - defined):
        problems.append(f".env.example does not define {var}, which docker-compose.yml uses")
    if os.path.exists(os.path.join(deploy_dir, ".env")):
        tracked = subprocess.run(["git", "-C", f.repo, "ls-files", "deploy/.env"],
                                 capture_output=True, text=True).stdout.strip()
        if tracked:
            problems.append("deploy/.env is committed: only .env.example may be")


def dockerfile_stages(text):
    stages = []
    for line in text.splitlines():
        m = re.match(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            stages.append({"from": m.group(1), "name": m.group(2), "lines": []})
        elif stages:
            stages[-1]["lines"].append(line)
    for s in stages:
        s["text"] = "\n".join(s["lines"])
    return stages


_NEEDED = {}


def needed_packages(binary):
    """Debian packages of the shared libraries the binary names (DT_NEEDED)."""
    if binary not in _NEEDED:
        _NEEDED[binary] = _needed_packages(binary)
    return _NEEDED[binary]


def _needed_packages(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                         check=True).stdout
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    # A sanitizer build (make test-asan runs this test too) is not what the image ships.
    libs = [lib for lib in libs if not re.match(r"lib(a|ub|t|l)san\.so", lib)]
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    packages = {}
    for lib in libs:
        path = paths.get(lib)
        if not path:
            continue
        owner = None
        for candidate in (path, os.path.realpath(path)):
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(":")[0]
                break
        packages[lib] = owner
    return packages


def check_dockerfile(f, problems, binary):
    stages = dockerfile_stages(f.dockerfile)
    if len(stages) < 2:
        problems.append("Dockerfile: not multi-stage")
        return
    build, runtime = stages[0], stages[-1]
    if not re.match(r"^(debian:12|debian:bookworm|node:[\w.]*-?bookworm)", build["from"]):
        problems.append(f"Dockerfile: build stage FROM {build['from']} is not Debian 12")
    if not re.search(r"scripts/setup --build-only", build["text"]):
        problems.append("Dockerfile: build stage does not run scripts/setup --build-only")
    if re.search(r"apt-get\s+install", build["text"]):
        problems.append("Dockerfile: build stage installs packages itself: they must come "
                        "from scripts/setup (one list)")
    if "scripts/packages-build.txt" not in build["text"]:
        problems.append("Dockerfile: build stage does not copy scripts/packages-build.txt")
    if "scripts/packages-build.txt" not in f.setup:
        problems.append("scripts/setup does not read scripts/packages-build.txt")
    if not re.search(r"--build-only", f.setup):
        problems.append("scripts/setup has no --build-only")
    if runtime["from"] not in ("debian:12-slim", "debian:bookworm-slim"):
        problems.append(f"Dockerfile: runtime stage FROM {runtime['from']}, not debian:12-slim")
    users = re.findall(r"^USER\s+(\S+)", runtime["text"], re.M)
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: runtime stage has no non-root USER")
    if not re.search(r"^HEALTHCHECK\s.*(\n\s+.*)*?/api/health", runtime["text"], re.M):
        problems.append("Dockerfile: runtime stage has no HEALTHCHECK on /api/health")
    if not re.search(r"^ENTRYPOINT\s", runtime["text"], re.M):
        problems.append("Dockerfile: runtime stage has no ENTRYPOINT")
    if not re.search(r"^COPY --from=\S+\s+\S*web/dist/?\s+" + re.escape(WEB_ROOT),
                     runtime["text"], re.M):
        problems.append(f"Dockerfile: web/dist is not installed at {WEB_ROOT}")
    if re.search(r"-dev\b", runtime["text"]):
        problems.append("Dockerfile: runtime stage installs -dev packages")
    # The runtime packages: one for every library the binary needs.
    installs = " ".join(re.findall(r"apt-get install[^&]*", runtime["text"].replace("\\\n", " ")))
    installed = set(installs.split())
    for lib, package in needed_packages(binary).items():
        if package is None:
            problems.append(f"Dockerfile: no Debian package owns {lib} (binary needs it)")
        elif package.split(":")[0] not in installed:
            problems.append(f"Dockerfile: runtime stage lacks {package} (for {lib})")


def check_realm(f, problems):
    r = f.realm
    roles = {x.get("name") for x in (r.get("roles") or {}).get("realm") or []}
    for role in ("viewer", "admin"):
        if role not in roles:
            problems.append(f"realm: no realm role {role}")
    clients = [c for c in r.get("clients") or [] if c.get("clientId") == "spacetime"]
    if not clients:
        problems.append("realm: no client spacetime")
        return
    c = clients[0]
    if not c.get("publicClient"):
        problems.append("realm: client spacetime is not public")
    if not c.get("standardFlowEnabled", True):
        problems.append("realm: client spacetime has no code flow")
    if (c.get("attributes") or {}).get("pkce.code.challenge.method") != "S256":
        problems.append("realm: client spacetime does not require PKCE S256")
    if not c.get("redirectUris"):
        problems.append("realm: client spacetime has no redirect URIs")
    if "*" in (c.get("redirectUris") or []):
        problems.append("realm: client spacetime allows any redirect URI")
    if not any(m.get("protocolMapper") == "oidc-audience-mapper" and
               (m.get("config") or {}).get("included.client.audience") == "spacetime" and
               (m.get("config") or {}).get("access.token.claim") == "true"
               for m in c.get("protocolMappers") or []):
        problems.append("realm: no audience mapper putting spacetime in the access token")


def nginx_location(text, prefix):
    """The body of `location PREFIX { ... }` of the app server (the TLS one; no nested
    blocks in this file), or None."""
    app = re.search(r"# @app-server-begin(.*)# @app-server-end", text, re.S)
    text = app.group(1) if app else text
    m = re.search(r"^\s*location\s+%s\s*\{(.*?)^\s*\}" % re.escape(prefix), text, re.M | re.S)
    return m.group(1) if m else None


def check_keycloak_proxy(f, kc, problems):
    """nginx serves Keycloak under the path Keycloak is configured for, with the proxy
    headers Keycloak reads, and the issuer in spacetime.toml is that URL; the static
    locations carry the security headers."""
    env = kc.get("environment") or {}
    if isinstance(env, list):
        env = dict(str(e).split("=", 1) for e in env)
    rel = str(env.get("KC_HTTP_RELATIVE_PATH", "")).rstrip("/")
    if not rel:
        problems.append("compose: keycloak has no KC_HTTP_RELATIVE_PATH (nginx serves it under /auth/)")
    if env.get("KC_PROXY_HEADERS") not in ("xforwarded", "forwarded"):
        problems.append("compose: keycloak needs KC_PROXY_HEADERS=xforwarded behind nginx")
    if not str(env.get("KC_HOSTNAME", "")).endswith(rel):
        problems.append("compose: keycloak's KC_HOSTNAME must end with KC_HTTP_RELATIVE_PATH")
    body = nginx_location(f.nginx, rel + "/") if rel else None
    if body is None:
        problems.append(f"nginx: no `location {rel}/` for Keycloak")
    else:
        m = re.search(r"proxy_pass\s+http://([\w.-]+)\s*;", body)
        upstream = re.search(r"upstream\s+%s\s*\{(.*?)\}" % re.escape(m.group(1)), f.nginx, re.S) if m else None
        if upstream is None or not re.search(r"^\s*server\s+keycloak:8080\b", upstream.group(1), re.M):
            problems.append(f"nginx: location {rel}/ does not proxy to keycloak:8080")
        for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
            if not re.search(r"proxy_set_header\s+%s\s" % header, body):
                problems.append(f"nginx: location {rel}/ does not set {header} for Keycloak")
        if "add_header" in body:
            problems.append(f"nginx: location {rel}/ must not add the page's headers (Keycloak sends its own)")
    issuer = str((f.toml.get("auth") or {}).get("issuer", ""))
    if rel and "://" in issuer and not issuer.split("://", 1)[1].partition("/")[2].startswith(rel.lstrip("/") + "/realms/"):
        problems.append(f"spacetime.toml: auth.issuer is not under {rel}/realms/ where nginx serves Keycloak")
    for prefix in ("/", "= /index.html", "/assets/"):
        loc = nginx_location(f.nginx, prefix)
        if loc is None:
            problems.append(f"nginx: no `location {prefix}`")
            continue
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                       "Referrer-Policy", "Strict-Transport-Security"):
            if not re.search(r"add_header\s+%s\s" % header, loc):
                problems.append(f"nginx: location {prefix} does not send {header}")


def check_toml(f, problems):
    auth = f.toml.get("auth")
    if not isinstance(auth, dict):
        problems.append("spacetime.toml: no [auth] table")
        return
    for key in ("issuer", "audience", "client_id"):
        if key not in auth:
            problems.append(f"spacetime.toml: [auth] has no {key}")
    if not str(auth.get("issuer", "")).endswith("/realms/" + f.realm.get("realm", "")):
        problems.append("spacetime.toml: auth.issuer is not the realm of the Keycloak export")
    if auth.get("audience") != "spacetime" or auth.get("client_id") != "spacetime":
        problems.append("spacetime.toml: audience and client_id must be the realm's client "
                        "spacetime")


def check_workflow(f, problems):
    w = f.workflow
    on = w.get("on", w.get(True))  # YAML 1.1 reads a bare `on` as true
    if not isinstance(on, dict) or "push" not in on or "pull_request" not in on:
        problems.append("workflow: does not run on push and pull_request")
    jobs = w.get("jobs") or {}
    test = jobs.get("test")
    if not test:
        problems.append("workflow: no test job")
    else:
        steps = json.dumps(test.get("steps", []))
        if ".ci/run" not in steps and "make test" not in steps:
            problems.append("workflow: the test job does not run .ci/run (make test)")
        if "cache" not in steps or "ccache" not in steps:
            problems.append("workflow: the test job does not cache ccache")
        container = test.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        if image not in ("debian:12", "debian:bookworm"):
            problems.append("workflow: the test job does not run in debian:12")
    image = jobs.get("image")
    if not image:
        problems.append("workflow: no image job")
    else:
        if "test" not in json.dumps(image.get("needs", [])):
            problems.append("workflow: the image job does not need the test job")
        if "refs/heads/main" not in str(image.get("if", "")):
            problems.append("workflow: the image job does not run on main only")
        build = [s for s in image.get("steps", [])
                 if str(s.get("uses", "")).startswith("docker/build-push-action")]
        if not build:
            problems.append("workflow: the image job does not use docker/build-push-action")
        else:
            w_ = build[0].get("with") or {}
            if w_.get("file") != "deploy/Dockerfile" or w_.get("push") is not True:
                problems.append("workflow: build-push-action must push deploy/Dockerfile")
            if "ghcr.io" not in json.dumps(image):
                problems.append("workflow: the image is not tagged for ghcr.io")
        if (image.get("permissions") or {}).get("packages") != "write":
            problems.append("workflow: the image job cannot write packages (GHCR)")
    deploy = jobs.get("deploy")
    if not deploy:
        problems.append("workflow: no deploy job")
    else:
        if "image" not in json.dumps(deploy.get("needs", [])):
            problems.append("workflow: the deploy job does not need the image job")
        steps = json.dumps(deploy.get("steps", []))
        for needle in ("ssh ", "docker compose pull", "docker compose up -d", "secrets."):
            if needle not in steps:
                problems.append(f"workflow: the deploy job does not use {needle.strip()}")


def toml_text(tables):
    """TOML for tables of plain values (what spacetime.toml holds)."""
    out = []
    for name, table in tables.items():
        out.append(f"[{name}]")
        for key, value in table.items():
            out.append(f"{key} = {json.dumps(value)}")
        out.append("")
    return "\n".join(out)


def check_toml_loads(f, binary, problems):
    """The gateway accepts spacetime.toml: started with it (Redis and the issuer need not
    answer) it gets as far as listening, instead of stopping on a setting it does not know."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "spacetime.toml")
        with open(conf, "w") as fh:
            fh.write(toml_text(f.toml))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPACETIME_")}
        p = subprocess.Popen([binary, "gateway", "--config", conf, "--port", "0", "--bind", "127.0.0.1",
                              "--redis", "redis://127.0.0.1:1", "--data-dir", tmp],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        seen = []
        try:
            deadline = time.monotonic() + 20
            for line in p.stdout:
                seen.append(line.rstrip())
                if "listening on" in line or time.monotonic() > deadline:
                    break
        finally:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not any("listening on" in line for line in seen):
            problems.append("spacetime.toml: `spacetime gateway --config` refuses it: " +
                            (seen[-1] if seen else "no output"))


def run_checks(f, binary, helps):
    problems = []
    check_compose(f, problems, helps)
    check_dockerfile(f, problems, binary)
    check_realm(f, problems)
    check_toml(f, problems)
    check_toml_loads(f, binary, problems)
    check_workflow(f, problems)
    return problems


def make_helps(binary):
    cache = {}

    def helps(sub):
        if sub not in cache:
            r = subprocess.run([binary, sub, "--help"], capture_output=True, text=True)
            usage = re.search(r"^Usage: \S+ " + re.escape(sub) + r" ", r.stdout, re.M)
            cache[sub] = r.stdout if r.returncode == 0 and usage else None
        return cache[sub]
    return helps


def self_test(f, binary, helps):
    """Each break must be reported; returns the breaks that were not."""
    def mutate(fn):
        g = copy.copy(f)
        g.compose = copy.deepcopy(f.compose)
        g.realm = copy.deepcopy(f.realm)
        g.workflow = copy.deepcopy(f.workflow)
        g.toml = copy.deepcopy(f.toml)
        fn(g)
        return g

    def svc(g, name):
        return g.compose["services"][name]

    breaks = {
        "service removed": lambda g: g.compose["services"].pop("gateway-2"),
        "dependency on a missing service": lambda g: svc(g, "history")["depends_on"].update(
            {"nosuch": {"condition": "service_healthy"}}),
        "healthy dependency without healthcheck": lambda g: svc(g, "redis").pop("healthcheck"),
        "undeclared volume": lambda g: g.compose["volumes"].pop("postgres-data"),
        "missing bind mount": lambda g: svc(g, "keycloak")["volumes"].__setitem__(
            0, "./keycloak/nosuch.json:/opt/keycloak/data/import/spacetime-realm.json:ro"),
        "nginx port 443 not published": lambda g: svc(g, "nginx").update({"ports": ["80:80"]}),
        "unknown flag": lambda g: svc(g, "live-0").update(
            {"command": ["live", "--shard", "0/2", "--no-such-flag", "1"]}),
        "unknown subcommand": lambda g: svc(g, "history").update({"command": ["histroy"]}),
        "unknown variable": lambda g: svc(g, "history")["environment"].update(
            {"SPACETIME_NO_SUCH": "1"}),
        "shards not covering N": lambda g: svc(g, "live-1").update(
            {"command": ["live", "--shard", "0/2"]}),
        "keycloak without import": lambda g: svc(g, "keycloak").update({"command": ["start-dev"]}),
        "root user": lambda g: setattr(g, "dockerfile",
                                       g.dockerfile.replace("USER spacetime:spacetime", "USER root")),
        "no healthcheck in image": lambda g: setattr(
            g, "dockerfile", re.sub(r"^HEALTHCHECK", "# HEALTHCHECK", g.dockerfile, flags=re.M)),
        "own apt list in build stage": lambda g: setattr(
            g, "dockerfile", g.dockerfile.replace(
                "RUN CI=true scripts/setup --build-only",
                "RUN apt-get install -y cmake && scripts/setup --build-only")),
        "runtime library missing": lambda g: setattr(
            g, "dockerfile", g.dockerfile.replace(" libhiredis0.14", "")),
        "realm role missing": lambda g: g.realm["roles"]["realm"].pop(),
        "client without PKCE": lambda g: g.realm["clients"][0]["attributes"].pop(
            "pkce.code.challenge.method"),
        "no audience mapper": lambda g: g.realm["clients"][0].update({"protocolMappers": []}),
        "auth table without issuer": lambda g: g.toml["auth"].pop("issuer"),
        "setting the gateway does not know": lambda g: g.toml["auth"].update(
            {"allowed_origins": "https://spacetime.example.com"}),
        "workflow without deploy": lambda g: g.workflow["jobs"].pop("deploy"),
        "image job not on main only": lambda g: g.workflow["jobs"]["image"].pop("if"),
        "nginx without /auth/": lambda g: setattr(
            g, "nginx", g.nginx.replace("location /auth/", "location /keycloak/")),
        "nginx /auth/ without X-Forwarded-Proto": lambda g: setattr(
            g, "nginx", g.nginx.replace("proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_connect_timeout 5s;\n        proxy_read_timeout 60s;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_connect_timeout 5s;\n        proxy_read_timeout 60s;")),
        "keycloak under another path": lambda g: svc(g, "keycloak")["environment"].update(
            {"KC_HTTP_RELATIVE_PATH": "/kc", "KC_HOSTNAME": "https://x/kc"}),
        "issuer not where nginx serves Keycloak": lambda g: g.toml["auth"].update(
            {"issuer": "https://spacetime.example.com/realms/spacetime"}),
        "page without CSP from nginx": lambda g: setattr(
            g, "nginx", g.nginx.replace("add_header Content-Security-Policy $spacetime_csp always;\n        add_header X-Content-Type-Options nosniff always;\n        add_header X-Frame-Options DENY always;\n        add_header Referrer-Policy no-referrer always;\n        add_header Strict-Transport-Security $spacetime_hsts always;\n        try_files $uri $uri/", "try_files $uri $uri/")),
        "secret not in .env.example": lambda g: setattr(
            g, "env_example", g.env_example.replace("REDIS_PASSWORD=", "X=")),
    }
    missed = []
    for what, fn in breaks.items():
        problems = run_checks(mutate(fn), binary, helps)
        if not problems:
            missed.append(what)
        else:
            print(f"self-test: {what}: caught ({problems[0]})")
    return missed


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    repo, binary = sys.argv[1], sys.argv[2]
    f = Files(repo)
    helps = make_helps(binary)
    problems = run_checks(f, binary, helps)
    for note in sorted(NOTES):
        print(f"deploy: note: {note}")
    for p in problems:
        print(f"deploy: {p}")
    if problems:
        return 1
    print("deploy: docker-compose.yml, Dockerfile, realm, spacetime.toml and ci.yml are consistent")
    if "--self-test" in sys.argv[3:]:
        missed = self_test(f, binary, helps)
        for what in missed:
            print(f"self-test: {what}: NOT caught")
        if missed:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
