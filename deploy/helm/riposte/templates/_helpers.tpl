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
nats://{{ include "riposte.fullname" . }}-nats.{{ .Release.Namespace }}.svc:4222
{{- else -}}
{{- required "nats.url is required when nats.enabled is false" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* NATS credential flags and env shared by detector and responder. */}}
{{- define "riposte.natsAuthArgs" -}}
{{- if .Values.nats.auth.user }}
- --nats-user={{ .Values.nats.auth.user }}
- --nats-password=$(NATS_PASSWORD)
{{- end }}
{{- end -}}

{{- define "riposte.natsAuthEnv" -}}
{{- if .Values.nats.auth.user }}
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "nats.auth.passwordSecret is required with nats.auth.user" .Values.nats.auth.passwordSecret }}
      key: password
{{- end }}
{{- end -}}
