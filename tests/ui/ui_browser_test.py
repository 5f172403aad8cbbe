#!/usr/bin/python3
"""The web UI in a real browser (headless Chromium from Debian, driven by Selenium) against a
real responder, a real nats-server with the shipped permissions, and the real API server of
the local cluster (fixture `cluster`). A playbook scales a Deployment to 0; in the browser:
first-run setup, log out and in, the timeline shows the alert and its run, a filter narrows
it, the run's detail shows the request sent and the API server's answer, and undo restores
the replicas (checked with kubectl) and is audited. Over HTTP: the API refuses requests
without a session (401) and a POST without the CSRF token (403); an undo of a run in a
namespace the responder now protects is refused by the guardrails (replicas stay 0).
A second playbook isolates a pod (NetworkPolicy) and cordons its node (a kwok node of this
test's own): one undo in the browser uncordons the node and removes exactly that policy
(both checked with kubectl).
Screenshots: <build>/Testing/ui-artefacts/."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SRC = os.environ["RIPOSTE_SOURCE_DIR"]
BIN = os.environ["RIPOSTE_BINARY_DIR"]
LOCAL = os.environ["RIPOSTE_LOCAL_DIR"]
ARTEFACTS = os.path.join(BIN, "Testing", "ui-artefacts")
PASSWORD = "ui-test-password-" + str(os.getpid())
TAG = "ui%d" % os.getpid()
NS, NS_GUARD, NS_NODE = TAG + "-app", TAG + "-guard", TAG + "-node"
NODE = "riposte-" + TAG + "-node"
RULE = "UI test shell " + TAG
RULE_NODE = "UI test isolate " + TAG

failures = []


def ok(msg):
    print("ok   " + msg, flush=True)


def bad(msg):
    failures.append(msg)
    print("FAIL " + msg, flush=True)


def check(cond, msg):
    (ok if cond else bad)(msg)
    return cond


def load_env():
    env = dict(os.environ)
    out = subprocess.run(["bash", "-c", f'. "{LOCAL}/env" && env -0'], check=True,
                         capture_output=True).stdout
    for item in out.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode()] = v.decode()
    return env


ENV = load_env()
KUBECTL = ENV.get("RIPOSTE_KUBECTL", "kubectl")


def kubectl(*args, check_rc=True):
    r = subprocess.run([KUBECTL, *args], env=ENV, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError("kubectl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(fn, timeout=60, every=0.25):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # noqa: BLE001 - keep polling until the deadline
            pass
        time.sleep(every)
    return None


def replicas(ns):
    return int(kubectl("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.replicas}") or -1)


class Nats:
    """A private nats-server with JetStream and the shipped permissions: a clean RIPOSTE_UI
    bucket, so the first-run setup is the one this test does."""

    def __init__(self, tmp):
        self.port = free_port()
        self.password = "nats-" + os.urandom(8).hex()
        perms = os.path.join(tmp, "nats-permissions.conf")
        shutil.copy(os.path.join(SRC, "deploy/helm/riposte/files/nats-permissions.conf"), perms)
        users = "".join('    {user: riposte-%s, password: "%s", permissions: $RIPOSTE_%s_PERMISSIONS}\n'
                        % (u, self.password, u.upper()) for u in ("detector", "audit", "responder"))
        conf = os.path.join(tmp, "nats.conf")
        with open(conf, "w") as f:
            f.write("include ./nats-permissions.conf\nauthorization {\n  users: [\n%s  ]\n}\n" % users)
        self.pwfile = os.path.join(tmp, "nats.password")
        with open(self.pwfile, "w") as f:
            f.write(self.password)
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.log = open(os.path.join(tmp, "nats.log"), "w")
        self.proc = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                      "-sd", os.path.join(tmp, "js"), "-c", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not until(lambda: socket.create_connection(("127.0.0.1", self.port), 1).close() or True, 15):
            raise RuntimeError("nats-server did not start")

    def flags(self, user):
        return ["--nats", "nats://127.0.0.1:%d" % self.port, "--nats-user", "riposte-" + user,
                "--nats-password-file", self.pwfile]


class Responder:
    def __init__(self, tmp, nats, name, extra):
        self.ui_port = free_port()
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "bin", "riposte-responder"), "--playbooks", os.path.join(tmp, "playbooks"),
             *nats.flags("responder"), "--kubeconfig", ENV["KUBECONFIG"], "--log-json",
             "--ops-addr", "127.0.0.1:0", "--ui-addr", "127.0.0.1:%d" % self.ui_port,
             "--replica-name", name, *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=ENV)
        self.url = "http://127.0.0.1:%d" % self.ui_port
        if not until(lambda: self.running() and urllib.request.urlopen(self.url + "/api/session", timeout=2), 30):
            raise RuntimeError("responder UI did not come up:\n" + self.tail())

    def running(self):
        return self.proc.poll() is None

    def tail(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def setup_token(self):
        for line in open(self.log_path):
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "setup_token" in j:
                return j["setup_token"]
        return None

    def stop(self):
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def publish_alert(nats, ns, pod, tmp, rule=RULE):
    alert = {"time": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()), "rule": rule,
             "priority": "Critical", "source": "syscall", "hostname": ENV.get("RIPOSTE_NODE_NAME", "n"),
             "output": "shell in " + pod, "tags": ["test"],
             "output_fields": {"k8s.ns.name": ns, "k8s.pod.name": pod, "proc.cmdline": "sh"}}
    path = os.path.join(tmp, "alert-%s-%d.json" % (ns, time.monotonic_ns()))
    with open(path, "w") as f:
        json.dump(alert, f)
    subprocess.run([os.path.join(BIN, "bin", "riposte"), "alert", "publish", path, *nats.flags("detector")],
                   check=True, env=ENV, capture_output=True)


def http(url, method="GET", body=None, cookie=None, csrf=None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body or {}).encode() if method == "POST" else None)
    req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", "riposte_session=" + cookie)
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def deploy(ns):
    kubectl("create", "namespace", ns)
    kubectl("-n", ns, "create", "deployment", "web", "--image=nginx", "--replicas=2")

    def running_pod():
        out = kubectl("-n", ns, "get", "pods", "-l", "app=web", "-o", "json")
        pods = [p["metadata"]["name"] for p in json.loads(out)["items"] if p["status"].get("phase") == "Running"]
        return pods[0] if len(pods) == 2 else None
    return until(running_pod, 60)


def own_node_pod():
    """A kwok node of this test's own (so cordoning it disturbs no other test) and a bare pod
    bound to it in NS_NODE; the pod's uid."""
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": NODE, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"type": "kwok", "kubernetes.io/hostname": NODE}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "10"},
                       "capacity": {"cpu": "4", "memory": "8Gi", "pods": "10"}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": NS_NODE},
           "spec": {"nodeName": NODE, "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]}}
    kubectl("create", "namespace", NS_NODE)
    for obj in (node, pod):
        r = subprocess.run([KUBECTL, "create", "-f", "-"], input=json.dumps(obj), env=ENV,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("kubectl create: " + r.stderr)
    return kubectl("-n", NS_NODE, "get", "pod", "web-1", "-o", "jsonpath={.metadata.uid}")


def unschedulable():
    return kubectl("get", "node", NODE, "-o", "jsonpath={.spec.unschedulable}") == "true"


def policies(ns):
    return kubectl("-n", ns, "get", "networkpolicies", "-o", "name").split()


def browser_test(responder, live_alert, pod_uid):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    d = webdriver.Chrome(options=opts, service=service)
    wait = WebDriverWait(d, 30)
    shot = lambda name: d.save_screenshot(os.path.join(ARTEFACTS, name + ".png"))
    try:
        d.get(responder.url)
        wait.until(EC.presence_of_element_located((By.ID, "setup-token")))
        shot("01-setup")
        ok("first run shows the setup page (no default password)")
        token = responder.setup_token()
        check(bool(token), "the responder logged a one-time setup token")
        d.find_element(By.ID, "setup-token").send_keys(token)
        d.find_element(By.ID, "setup-password").send_keys(PASSWORD)
        d.find_element(By.ID, "setup-submit").click()
        wait.until(EC.presence_of_element_located((By.ID, "timeline")))
        ok("setup sets the password and opens a session")
        d.find_element(By.ID, "logout").click()
        wait.until(EC.presence_of_element_located((By.ID, "login-password")))
        d.find_element(By.ID, "login-password").send_keys("wrong password!!")
        d.find_element(By.ID, "login-submit").click()
        wait.until(lambda _: d.find_element(By.ID, "auth-error").text)
        check("wrong" in d.find_element(By.ID, "auth-error").text, "a wrong password is refused")
        d.find_element(By.ID, "login-password").clear()
        d.find_element(By.ID, "login-password").send_keys(PASSWORD)
        d.find_element(By.ID, "login-submit").click()
        wait.until(EC.presence_of_element_located((By.ID, "timeline")))
        ok("log out, log in")

        # Timeline: both alerts, each with its run.
        runs = lambda: d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert .run")
        wait.until(lambda _: len(runs()) >= 2)
        shot("02-timeline")
        rows = d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert")
        check(any(NS in r.text and RULE in r.text for r in rows), "the timeline shows the alert")
        check(any("ui-scale: succeeded" in r.text for r in runs()), "the timeline shows its run")
        check(d.find_elements(By.CSS_SELECTOR, "#chart-time rect"), "the alerts-over-time chart has bars")

        # A filter narrows it to the one namespace.
        d.find_element(By.ID, "f-namespace").send_keys(NS)
        d.find_element(By.ID, "apply").click()
        wait.until(lambda _: all(NS in r.text for r in d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert"))
                   and len(d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert")) == 1)
        shot("03-filtered")
        ok("the namespace filter narrows the timeline to one alert")

        # Live: a new alert (no playbook matches it) appears without reloading the page.
        live_alert()
        wait.until(lambda _: any("UI live" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert")))
        ok("a new alert shows up without reloading (Server-Sent Events)")
        d.find_element(By.CSS_SELECTOR, "#timeline tr.alert .run").click()

        # The run's detail: the request sent and the API server's answer (clicked above).
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#detail pre.answer")))
        sent = "\n".join(e.text for e in d.find_elements(By.CSS_SELECTOR, "#detail pre.sent"))
        answers = "\n".join(e.text for e in d.find_elements(By.CSS_SELECTOR, "#detail pre.answer"))
        shot("04-run-detail")
        check("PATCH /apis/apps/v1/namespaces/%s/deployments/web/scale" % NS in sent,
              "the run's detail shows the scale request sent")
        check("HTTP 200" in answers, "the run's detail shows the API server's answer")

        # Undo.
        d.find_element(By.ID, "undo-button").click()
        d.switch_to.alert.accept()
        wait.until(lambda _: "undo " in d.find_element(By.ID, "undo-result").text)
        shot("05-undone")
        check("undo succeeded" in d.find_element(By.ID, "undo-result").text,
              "undo reports success: " + d.find_element(By.ID, "undo-result").text)
        check(until(lambda: replicas(NS) == 2, 30), "undo restored the Deployment to 2 replicas (kubectl)")

        # The isolation and cordon run: one undo uncordons the node and removes the policy.
        d.find_element(By.ID, "detail-close").click()
        f = d.find_element(By.ID, "f-namespace")
        f.clear()
        f.send_keys(NS_NODE)
        d.find_element(By.ID, "apply").click()
        wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert .run")
                   and all(NS_NODE in r.text for r in d.find_elements(By.CSS_SELECTOR, "#timeline tr.alert")))
        d.find_element(By.CSS_SELECTOR, "#timeline tr.alert .run").click()
        wait.until(lambda _: "node.uncordon" in d.find_element(By.ID, "undo-button").text)
        label = d.find_element(By.ID, "undo-button").text
        check("network.unisolate networkpolicies/%s/riposte-isolate-%s" % (NS_NODE, pod_uid) in label
              and "node.uncordon nodes/" + NODE in label, "the run offers to uncordon and unisolate: " + label)
        shot("06-node-run")
        d.find_element(By.ID, "undo-button").click()
        d.switch_to.alert.accept()
        wait.until(lambda _: "undo " in d.find_element(By.ID, "undo-result").text)
        shot("07-uncordoned")
        check("undo succeeded" in d.find_element(By.ID, "undo-result").text,
              "the uncordon/unisolate undo reports success: " + d.find_element(By.ID, "undo-result").text)
        check(until(lambda: not unschedulable(), 30), "undo uncordoned the node (kubectl)")
        check(until(lambda: not policies(NS_NODE), 30), "undo removed the isolating NetworkPolicy (kubectl)")
        cookie = d.get_cookie("riposte_session")
        return cookie["value"] if cookie else None
    except Exception:
        shot("99-failure")
        raise
    finally:
        d.quit()


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ui-test-")
    os.makedirs(os.path.join(tmp, "playbooks"))
    with open(os.path.join(tmp, "playbooks", "ui.yaml"), "w") as f:
        f.write("- name: ui-scale\n  match: {rules: [\"%s\"]}\n  steps:\n"
                "    - {action: workload.scale, params: {replicas: 0, allow_last_replica: true}}\n"
                "- name: ui-node\n  match: {rules: [\"%s\"]}\n  steps:\n"
                "    - {action: network.isolate}\n    - {action: node.cordon}\n" % (RULE, RULE_NODE))
    nats = responder = None
    try:
        nats = Nats(tmp)
        pods = {ns: deploy(ns) for ns in (NS, NS_GUARD)}
        if not all(pods.values()):
            bad("Deployment pods not Running: %s" % pods)
            return
        pod_uid = own_node_pod()
        # First responder: the playbook scales both Deployments to 0.
        responder = Responder(tmp, nats, "ui-responder-1", [])
        for ns, pod in pods.items():
            publish_alert(nats, ns, pod, tmp)
        publish_alert(nats, NS_NODE, "web-1", tmp, RULE_NODE)
        for ns in pods:
            check(until(lambda: replicas(ns) == 0, 60), "the playbook scaled %s/web to 0" % ns)
        check(until(unschedulable, 60), "the playbook cordoned the test's node")
        check(until(lambda: policies(NS_NODE) == ["networkpolicy.networking.k8s.io/riposte-isolate-" + pod_uid], 60),
              "the playbook isolated the pod")
        responder.stop()
        # Second responder, now protecting NS_GUARD: its UI serves the test.
        responder = Responder(tmp, nats, "ui-responder-2", ["--protected-namespace", NS_GUARD])

        status, _ = http(responder.url + "/api/alerts")
        check(status == 401, "the API refuses a request without a session (got %d)" % status)

        cookie = browser_test(responder, lambda: publish_alert(nats, NS, "live-pod", tmp, "UI live " + TAG),
                              pod_uid)
        check(bool(cookie), "the browser holds a session cookie")
        status, session = http(responder.url + "/api/session", cookie=cookie)
        csrf = session.get("csrf")
        _, page = http(responder.url + "/api/alerts?namespace=" + NS_GUARD, cookie=cookie)
        guard_run = page["rows"][0]["runs"][0]["id"] if page.get("rows") else None
        check(bool(guard_run), "the guarded namespace's run is listed")
        status, _ = http(responder.url + "/api/runs/%s/undo" % guard_run, "POST", cookie=cookie)
        check(status == 403, "an undo without the CSRF token is refused (got %d)" % status)
        status, rec = http(responder.url + "/api/runs/%s/undo" % guard_run, "POST", cookie=cookie, csrf=csrf)
        check(status == 200 and rec.get("outcome") == "skipped" and "protected" in json.dumps(rec),
              "the guardrails refuse to undo in a protected namespace: %d %s" % (status, json.dumps(rec)[:300]))
        check(replicas(NS_GUARD) == 0, "the protected Deployment stays at 0 replicas")

        # The undo is audited: who, what, the requests and answers.
        _, page = http(responder.url + "/api/alerts?namespace=" + NS, cookie=cookie)
        run_id = [r for r in page["rows"] if r["runs"]][0]["runs"][0]["id"]

        def undo_record():
            return http(responder.url + "/api/runs/" + run_id, cookie=cookie)[1].get("undo_record")
        rec = until(undo_record, 30)
        check(bool(rec) and rec.get("user") == "admin" and rec.get("outcome") == "succeeded"
              and rec["steps"][0]["requests"][0]["answer"]["status"] == 200,
              "the undo is in the audit stream with its user, requests and answers")
    finally:
        if responder:
            responder.stop()
            if failures:
                print("--- responder log tail ---\n" + responder.tail())
        if nats:
            nats.proc.terminate()
            nats.proc.wait()
        for ns in (NS, NS_GUARD, NS_NODE):
            kubectl("delete", "namespace", ns, "--wait=false", check_rc=False)
        kubectl("delete", "node", NODE, "--wait=false", check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s); screenshots in %s" % (len(failures), ARTEFACTS))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        bad("test aborted: %r" % e)
    sys.exit(1 if failures else 0)
