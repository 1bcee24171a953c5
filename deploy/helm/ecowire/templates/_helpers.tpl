{{/*
Names, labels and the pieces every stage shares. The stage table (port, input topic) mirrors the
code: DEFAULT_PORTS in services/ecowire/core/settings.py and each stage's `Stage(name, input)`;
tests/ops/test_helm.py checks the rendered manifests against both.
*/}}

{{- define "ecowire.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ecowire.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The four stages, in pipeline order: HTTP port (/metrics, /health) and input topic base. */}}
{{- define "ecowire.stages" -}}
fetcher: {port: 8001, input: ingest}
normalizer: {port: 8002, input: raw}
extractor: {port: 8003, input: articles}
aggregator: {port: 8004, input: facts}
{{- end }}

{{- define "ecowire.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ecowire.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecowire.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ecowire.labels" -}}
helm.sh/chart: {{ include "ecowire.chartLabel" . }}
{{ include "ecowire.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecowire
{{- end }}

{{/* Labels of one stage's objects: (dict "ctx" $ "stage" "normalizer") */}}
{{- define "ecowire.stageLabels" -}}
{{ include "ecowire.labels" .ctx }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{- define "ecowire.stageSelectorLabels" -}}
{{ include "ecowire.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{- define "ecowire.stageName" -}}
{{- printf "%s-%s" (include "ecowire.fullname" .ctx) .stage | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ecowire.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecowire.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag (tag = appVersion unless set), or repository@digest when a digest is given. */}}
{{- define "ecowire.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "ecowire.kafkaClusterName" -}}
{{- default (printf "%s-kafka" (include "ecowire.fullname" .)) .Values.kafka.strimzi.clusterName | trunc 50 | trimSuffix "-" }}
{{- end }}

{{/* Bootstrap servers: the Strimzi cluster's bootstrap Service (plain listener), or the external one. */}}
{{- define "ecowire.bootstrapServers" -}}
{{- if .Values.kafka.strimzi.enabled }}
{{- printf "%s-kafka-bootstrap:9092" (include "ecowire.kafkaClusterName" .) }}
{{- else }}
{{- required "kafka.bootstrapServers is required when kafka.strimzi.enabled is false" .Values.kafka.bootstrapServers }}
{{- end }}
{{- end }}

{{/* Full topic name: (dict "ctx" $ "base" "raw") -> ecowire.raw.v1 (every topic is at major 1). */}}
{{- define "ecowire.topic" -}}
{{- $version := 1 }}
{{- range (.ctx.Files.Get "files/topics.yaml" | fromYaml).topics }}
{{- if eq .base $.base }}{{ $version = .version }}{{ end }}
{{- end }}
{{- printf "%s%s.v%v" .ctx.Values.kafka.topicPrefix .base $version }}
{{- end }}

{{/* Seconds Kubernetes waits after SIGTERM: the drain plus the margin for closing the clients. */}}
{{- define "ecowire.terminationGracePeriod" -}}
{{- add (int (ceil .Values.gracefulTimeoutSeconds)) (int .Values.shutdownMarginSeconds) }}
{{- end }}

{{/* The environment every ecowire container shares (services/ecowire/core/settings.py). */}}
{{- define "ecowire.commonEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "ecowire.bootstrapServers" . | quote }}
- name: ECOWIRE_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
- name: ECOWIRE_GROUP_PREFIX
  value: {{ .Values.kafka.groupPrefix | quote }}
- name: ECOWIRE_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: ECOWIRE_REPLICATION_FACTOR
  value: {{ .Values.kafka.replicationFactor | quote }}
- name: ECOWIRE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: ECOWIRE_LOG_FORMAT
  value: json
{{- end }}

{{/* Pod-level settings shared by the stage Deployments and the topics Job. */}}
{{- define "ecowire.podCommon" -}}
serviceAccountName: {{ include "ecowire.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The fetcher's sources file: `fetcher.sources` when set, else the bundled deploy/sources.yaml
(files/sources.yaml links to it) while `fetcher.bundledSources` is on, else nothing (no polling).
*/}}
{{- define "ecowire.sourcesFile" -}}
{{- if .Values.fetcher.sources -}}
{{- toYaml .Values.fetcher.sources -}}
{{- else if .Values.fetcher.bundledSources -}}
{{- .Files.Get "files/sources.yaml" -}}
{{- end -}}
{{- end }}
