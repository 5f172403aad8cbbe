{{/* Common names and labels. */}}
{{- define "riposte.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "riposte.labels" -}}
app.kubernetes.io/name: riposte
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "riposte.selector" -}}
app.kubernetes.io/name: riposte
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "riposte.image" -}}
{{- $reg := .root.Values.imageRegistry -}}
{{- if $reg }}{{ $reg }}/{{ end }}{{ .image.repository }}:{{ .image.tag }}
{{- end -}}

{{/* The NATS URL every component uses: the chart's own cluster or an existing server. */}}
{{- define "riposte.natsURL" -}}
{{- if .Values.nats.enabled -}}
tls://{{ include "riposte.fullname" . }}-nats.{{ .Release.Namespace }}.svc:4222
{{- else -}}
{{- required "nats.url is required when nats.enabled is false" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* Secrets the NATS clients and servers read: passwords (keys `detector`, `responder`) and
TLS (ca.crt, tls.crt, tls.key). Created by the chart unless existing ones are named. */}}
{{- define "riposte.natsAuthSecret" -}}
{{- .Values.nats.auth.existingSecret | default (printf "%s-nats-auth" (include "riposte.fullname" .)) -}}
{{- end -}}
{{- define "riposte.natsTLSSecret" -}}
{{- .Values.nats.tls.existingSecret | default (printf "%s-nats-tls" (include "riposte.fullname" .)) -}}
{{- end -}}

{{/* A component's NATS identity (dict "root" $ "component" "detector"|"responder"): its user,
its password file from the Secret, the CA that verifies the server. */}}
{{- define "riposte.natsClientArgs" -}}
- --nats={{ include "riposte.natsURL" .root }}
- --nats-ca=/etc/riposte/nats-tls/ca.crt
- --nats-user=riposte-{{ .component }}
- --nats-password-file=/etc/riposte/nats-auth/password
{{- end -}}

{{- define "riposte.natsClientMounts" -}}
- {name: nats-tls, mountPath: /etc/riposte/nats-tls, readOnly: true}
- {name: nats-auth, mountPath: /etc/riposte/nats-auth, readOnly: true}
{{- end -}}

{{/* Secret volumes, not env: a rotated Secret reaches the file without a pod restart. Only the
CA of the TLS Secret and only this component's password are mounted. */}}
{{- define "riposte.natsClientVolumes" -}}
- name: nats-tls
  secret:
    secretName: {{ include "riposte.natsTLSSecret" .root }}
    items: [{key: ca.crt, path: ca.crt}]
- name: nats-auth
  secret:
    secretName: {{ include "riposte.natsAuthSecret" .root }}
    items: [{key: {{ .component }}, path: password}]
{{- end -}}
