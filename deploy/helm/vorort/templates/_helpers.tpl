{{/* One service's settings: serviceDefaults overlaid with its own entry. */}}
{{- define "vorort.service" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $own := index $root.Values.services $name -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.serviceDefaults) (deepCopy $own)) -}}
{{- end -}}

{{- define "vorort.labels" -}}
app.kubernetes.io/part-of: vorort
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Selector labels of one process: (list root service process). */}}
{{- define "vorort.selector" -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/component: {{ index . 2 }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
{{- end -}}

{{- define "vorort.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "vorort.dbCluster" -}}{{ . }}-db{{- end -}}
{{- define "vorort.kafkaUser" -}}{{ . }}{{- end -}}
{{- define "vorort.bootstrap" -}}{{ .Values.kafka.cluster }}-kafka-bootstrap:{{ .Values.kafka.listenerPort }}{{- end -}}

{{/* The environment every process of a service gets: (list root name svc). Secrets by reference only. */}}
{{- define "vorort.env" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $svc := index . 2 -}}
- name: VORORT_ENV
  value: production
- name: VORORT_VAR_DIR
  value: /tmp/vorort
- name: VORORT_JWT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $root.Values.secrets.platform }}, key: VORORT_JWT_SECRET}
{{- if $svc.database }}
- name: {{ upper $name }}_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "vorort.dbCluster" $name }}-app, key: uri}
{{- end }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "vorort.bootstrap" $root | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: SASL_SSL
- name: KAFKA_SASL_MECHANISM
  value: SCRAM-SHA-512
- name: KAFKA_SASL_USERNAME
  value: {{ include "vorort.kafkaUser" $name }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "vorort.kafkaUser" $name }}, key: password}
- name: KAFKA_SSL_CAFILE
  value: /etc/vorort/kafka-ca/ca.crt
{{- range $other := $svc.calls }}
{{- $target := index $root.Values.services $other }}
- name: {{ upper $other }}_URL
  value: http://{{ $other }}-web:{{ $target.port }}
{{- end }}
{{- if and $root.Values.identityService (hasKey $root.Values.services $root.Values.identityService) (ne $name $root.Values.identityService) }}
{{- $identity := index $root.Values.services $root.Values.identityService }}
- name: {{ upper $root.Values.identityService }}_URL
  value: http://{{ $root.Values.identityService }}-web:{{ $identity.port }}
{{- end }}
{{- range $key := $svc.secretEnv }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef: {name: {{ $root.Values.secrets.platform }}, key: {{ $key }}}
{{- end }}
{{- range $key, $value := $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "vorort.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile: {type: RuntimeDefault}
automountServiceAccountToken: false
{{- end -}}

{{- define "vorort.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
{{- end -}}

{{- define "vorort.volumeMounts" -}}
volumeMounts:
  - {name: kafka-ca, mountPath: /etc/vorort/kafka-ca, readOnly: true}
  - {name: tmp, mountPath: /tmp}
{{- end -}}

{{- define "vorort.volumes" -}}
volumes:
  - name: kafka-ca
    secret:
      secretName: {{ .Values.kafka.cluster }}-cluster-ca-cert
      items: [{key: ca.crt, path: ca.crt}]
  - name: tmp
    emptyDir: {}
{{- end -}}
