/* SPDX-License-Identifier: BSD-3-Clause */
#include "client.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

int client_request(const char *ep, const uint8_t *req, size_t len, int timeout_ms,
	uint8_t **reply, size_t *reply_len)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_REQ);
	int zero = 0, ret = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	*reply = NULL;
	*reply_len = 0;
	if (zmq_connect(s, ep) < 0 || zmq_send(s, req, len, 0) < 0) {
		ret = zmq_errno() == EAGAIN ? -ETIMEDOUT : -zmq_errno();
		goto out;
	}
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, s, 0) < 0) {
		ret = zmq_errno() == EAGAIN ? -ETIMEDOUT : -zmq_errno();
		zmq_msg_close(&msg);
		goto out;
	}
	*reply_len = zmq_msg_size(&msg);
	*reply = malloc(*reply_len + 1);
	if (*reply == NULL)
		ret = -ENOMEM;
	else
		memcpy(*reply, zmq_msg_data(&msg), *reply_len);
	zmq_msg_close(&msg);
out:
	zmq_close(s);
	zmq_ctx_term(ctx);
	return ret;
}

static int hex(const char *s, size_t n, uint32_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v * 16 + (uint32_t)d;
	}
	return 0;
}

int client_parse_pci(const char *s, uint32_t *dom, uint32_t *bus, uint32_t *slot, uint32_t *fn)
{
	size_t len = strlen(s);
	*dom = 0;
	if (len == 12) {
		if (s[4] != ':' || hex(s, 4, dom) < 0)
			return -1;
		s += 5;
	} else if (len != 7) {
		return -1;
	}
	if (s[2] != ':' || s[5] != '.' || hex(s, 2, bus) < 0 || hex(s + 3, 2, slot) < 0 ||
		hex(s + 6, 1, fn) < 0 || *slot > 0x1f || *fn > 7)
		return -1;
	return 0;
}

const char *client_py_float(double v, char *buf)
{
	if (isnan(v))
		return strcpy(buf, "nan");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "inf" : "-inf");
	char digits[40];
	int p;
	for (p = 1; p <= 17; p++) {
		snprintf(digits, sizeof(digits), "%.*e", p - 1, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	/* digits is "-d.ddde+XX": rebuild it the way Python's repr does */
	char mant[24];
	size_t nm = 0;
	const char *q = digits;
	bool neg = *q == '-';
	if (neg)
		q++;
	for (; *q && *q != 'e' && nm + 1 < sizeof(mant); q++)
		if (*q != '.')
			mant[nm++] = *q;
	mant[nm] = '\0';
	int exp = atoi(q + 1);
	int nd = (int)strlen(mant);
	char *o = buf;
	if (neg)
		*o++ = '-';
	if (exp >= -5 && exp < 16) {
		if (exp < 0) {
			o += sprintf(o, "0.");
			for (int i = -1; i > exp; i--)
				*o++ = '0';
			o += sprintf(o, "%s", mant);
		} else if (nd <= exp + 1) {
			o += sprintf(o, "%s", mant);
			for (int i = nd; i <= exp; i++)
				*o++ = '0';
			o += sprintf(o, ".0");
		} else {
			o += sprintf(o, "%.*s.%s", exp + 1, mant, mant + exp + 1);
		}
	} else {
		o += sprintf(o, "%c", mant[0]);
		if (nd > 1)
			o += sprintf(o, ".%s", mant + 1);
		o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
	*o = '\0';
	return buf;
}

/* shortest decimal that reads back as the same float, as protobuf's
 * Python text_format prints float fields */
static void print_float(FILE *out, float f)
{
	char buf[40];
	for (int p = 1; p <= 9; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL && strchr(buf, 'n') == NULL)
		strcat(buf, ".0");
	fputs(buf, out);
}

static void print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "%lld", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		print_float(out, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE: {
		char buf[40];
		fputs(client_py_float(*(const double *)p, buf), out);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		if (ev != NULL)
			fputs(ev->name, out);
		else
			fprintf(out, "%d", *(const int *)p);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		print_string(out, *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		fputs("{\n", out);
		client_print_text(out, *(ProtobufCMessage *const *)p, indent + 2);
		fprintf(out, "%*s}", indent, "");
		break;
	default:
		fputs("?", out);
		break;
	}
}

static size_t value_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

void client_foreach_field(const ProtobufCMessage *m, client_field_cb cb, void *arg)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;
		size_t count = 1;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			count = *(const size_t *)(base + f->quantifier_offset);
			p = *(void *const *)p;
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
			if (*(void *const *)p == NULL)
				continue;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			!*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
			continue;
		}
		for (size_t k = 0; k < count; k++)
			cb(f, (const char *)p + k * value_size(f), k, arg);
	}
}

struct text_ctx {
	FILE *out;
	int indent;
};

static void text_field(const ProtobufCFieldDescriptor *f, const void *p, size_t k, void *arg)
{
	struct text_ctx *t = arg;
	(void)k;
	fprintf(t->out, "%*s%s%s", t->indent, "", f->name,
		f->type == PROTOBUF_C_TYPE_MESSAGE ? " " : ": ");
	print_value(t->out, f, p, t->indent);
	fputc('\n', t->out);
}

void client_print_text(FILE *out, const ProtobufCMessage *m, int indent)
{
	struct text_ctx t = {out, indent};
	client_foreach_field(m, text_field, &t);
}

void *client_ask(const char *prog, const char *ep, const ProtobufCMessage *m,
	const ProtobufCMessageDescriptor *reply_type, int timeout_ms)
{
	size_t len = protobuf_c_message_get_packed_size(m), rep_len;
	uint8_t *buf = malloc(len + 1), *rep;
	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(m, buf);
	int ret = client_request(ep, buf, len, timeout_ms, &rep, &rep_len);
	free(buf);
	if (ret < 0) {
		fprintf(stderr, "%s: no answer from %s: %s\n", prog, ep,
			ret == -ETIMEDOUT ? "timed out (is virtio-forwarder running?)" : strerror(-ret));
		return NULL;
	}
	void *r = protobuf_c_message_unpack(reply_type, NULL, rep_len, rep);
	free(rep);
	if (r == NULL)
		fprintf(stderr, "%s: malformed reply from %s\n", prog, ep);
	return r;
}
