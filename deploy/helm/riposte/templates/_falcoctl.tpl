{{/* Falco's rules pulled by falcoctl (detector.falcoRules), as Falco's chart does: the init
container installs the refs into the rulesfiles emptyDir before the detector starts, the
optional follower keeps them current; both read falcoctl.yaml from a ConfigMap. */}}
{{- define "riposte.falcoctl.image" -}}
{{- with .Values.detector.falcoRules.image -}}
{{ if .registry }}{{ .registry }}/{{ end }}{{ .repository }}:{{ .tag }}
{{- end -}}
{{- end -}}

{{/* One falcoctl container (dict "root" $ "verb" "install"|"follow"). falcoctl needs no
privilege: it writes to emptyDirs and its own $HOME (an emptyDir too). */}}
{{- define "riposte.falcoctl.container" -}}
{{- $v := .root.Values.detector.falcoRules -}}
- name: falcoctl-artifact-{{ .verb }}
  image: {{ include "riposte.falcoctl.image" .root }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args: [artifact, {{ .verb }}, --log-format=json]
  env:
    - {name: HOME, value: /tmp}
  resources: {{- toYaml $v.resources | nindent 4 }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities: {drop: [ALL]}
    seccompProfile: {type: RuntimeDefault}
  volumeMounts:
    - {name: falco-rules, mountPath: {{ $v.config.artifact.install.rulesfilesDir }}}
    - {name: falcoctl-state, mountPath: {{ $v.config.artifact.install.stateDir }}}
    - {name: falcoctl-home, mountPath: /tmp}
    - {name: falcoctl-config, mountPath: /etc/falcoctl, readOnly: true}
{{- end -}}

{{- define "riposte.falcoctl.volumes" -}}
- {name: falco-rules, emptyDir: {}}
- {name: falcoctl-state, emptyDir: {}}
- {name: falcoctl-home, emptyDir: {}}
- name: falcoctl-config
  configMap:
    name: {{ include "riposte.fullname" . }}-detector-falcoctl
{{- end -}}
