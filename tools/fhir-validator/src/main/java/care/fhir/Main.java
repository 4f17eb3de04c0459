package care.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * Validates FHIR R4 resources (JSON files named as arguments) against the R4 core definitions, offline,
 * in one JVM for all of them: the start-up and the loading of the definitions (about 10 s) are paid
 * once per run, not per file.
 *
 * <p>Terminology is only what runs in this process: the core code systems and value sets
 * (DefaultProfileValidationSupport), UCUM, languages, MIME types and the like
 * (CommonCodeSystemsTerminologyService) and the in-memory expansion of value sets over them. No
 * terminology server is configured, so nothing leaves the machine; a code from a system not held here
 * (LOINC, or a local code system) is reported as a warning at most, never as an error.
 *
 * <p>Output, on stdout, one JSON object a line: every issue as
 * {@code {"file","severity","location","line","col","messageId","message"}}, then one summary a file as
 * {@code {"file","summary":{"error":n,"warning":n,"information":n}}}. Exit status 0 when no file has an
 * error (or a fatal issue), 1 when one has, 2 when a file cannot be read or no file is given.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // HAPI's progress lines (loading definitions...) stay off stderr unless asked for.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    if (args.length == 0) {
      System.err.println("usage: java -jar fhir-validator.jar <resource.json>...");
      System.exit(2);
    }
    FhirContext context = FhirContext.forR4();
    ValidationSupportChain support =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(context),
            new CommonCodeSystemsTerminologyService(context),
            new InMemoryTerminologyServerValidationSupport(context),
            new SnapshotGeneratingValidationSupport(context));
    FhirInstanceValidator module = new FhirInstanceValidator(support);
    FhirValidator validator = context.newValidator();
    validator.registerValidatorModule(module);

    boolean anyError = false;
    boolean unreadable = false;
    for (String name : args) {
      String text;
      try {
        text = Files.readString(Path.of(name), StandardCharsets.UTF_8);
      } catch (IOException e) {
        out.println(issue(name, "fatal", "", -1, -1, "FILE_UNREADABLE", "cannot read the file: " + e.getClass().getSimpleName()));
        unreadable = true;
        continue;
      }
      // Validated as text, not parsed first: the parser would drop an unknown property before the
      // validator could see it.
      ValidationResult result = validator.validateWithResult(text);
      Map<ResultSeverityEnum, Integer> counts = new EnumMap<>(ResultSeverityEnum.class);
      for (ResultSeverityEnum s : ResultSeverityEnum.values()) counts.put(s, 0);
      for (SingleValidationMessage m : result.getMessages()) {
        ResultSeverityEnum severity = m.getSeverity() == null ? ResultSeverityEnum.ERROR : m.getSeverity();
        counts.merge(severity, 1, Integer::sum);
        out.println(
            issue(
                name,
                severity.getCode(),
                m.getLocationString(),
                m.getLocationLine() == null ? -1 : m.getLocationLine(),
                m.getLocationCol() == null ? -1 : m.getLocationCol(),
                m.getMessageId(),
                m.getMessage()));
      }
      int errors = counts.get(ResultSeverityEnum.ERROR) + counts.get(ResultSeverityEnum.FATAL);
      anyError |= errors > 0;
      out.println(
          "{\"file\":" + json(name) + ",\"summary\":{\"error\":" + errors + ",\"warning\":" + counts.get(ResultSeverityEnum.WARNING)
              + ",\"information\":" + counts.get(ResultSeverityEnum.INFORMATION) + "}}");
    }
    out.flush();
    System.exit(unreadable ? 2 : anyError ? 1 : 0);
  }

  private static String issue(String file, String severity, String location, int line, int col, String messageId, String message) {
    return "{\"file\":" + json(file) + ",\"severity\":" + json(severity.toLowerCase(Locale.ROOT)) + ",\"location\":" + json(location)
        + ",\"line\":" + line + ",\"col\":" + col + ",\"messageId\":" + json(messageId) + ",\"message\":" + json(message) + "}";
  }

  /** A JSON string literal (RFC 8259 escapes), or null. */
  private static String json(String value) {
    if (value == null) return "null";
    StringBuilder b = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }
}
