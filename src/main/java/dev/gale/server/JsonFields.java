package dev.gale.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Typed access to a request's JSON fields. A field that is absent or null is "not given"; a field
 * of the wrong type or out of range is a 400 naming the field, the rule and the value found.
 */
final class JsonFields {
    private final ObjectNode node;

    JsonFields(ObjectNode node) {
        this.node = node;
    }

    boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    int integer(String name, int orElse, long min, long max) throws ApiException {
        JsonNode v = get(name);
        if (v == null) {
            return orElse;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            boolean tooBig = v.isIntegralNumber() && (!v.canConvertToLong() || v.asLong() > max);
            throw ApiException.badRequest(name, "'" + name + "' must be an integer "
                    + (tooBig ? "in [" + min + ", " + max + "]" : range(min, max)) + ", found " + show(v));
        }
        return (int) v.asLong();
    }

    Long longInteger(String name) throws ApiException {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest(name, "'" + name + "' must be a 64-bit integer, found " + show(v));
        }
        return v.asLong();
    }

    /** A number in [min, max] (open at min when {@code minOpen}). */
    float number(String name, float orElse, double min, boolean minOpen, double max) throws ApiException {
        JsonNode v = get(name);
        if (v == null) {
            return orElse;
        }
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(minOpen ? d > min : d >= min) || !(d <= max)) {
            String rule = Double.isInfinite(max) ? (minOpen ? "> " : ">= ") + fmt(min)
                    : "in " + (minOpen ? "(" : "[") + fmt(min) + ", " + fmt(max) + "]";
            throw ApiException.badRequest(name, "'" + name + "' must be a number " + rule + ", found " + show(v));
        }
        return (float) d;
    }

    boolean bool(String name, boolean orElse) throws ApiException {
        JsonNode v = get(name);
        if (v == null) {
            return orElse;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(name, "'" + name + "' must be true or false, found " + show(v));
        }
        return v.asBoolean();
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return ">= " + min;
        }
        return "in [" + min + ", " + max + "]";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** A value as it appeared, shortened. */
    static String show(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
