package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.experiments.StudentTeacher;
import org.junit.jupiter.api.Test;

/** demo --preset: the long horizon differs from the default in T and the record spacing only. */
class DemoPresetTest {
    @Test
    void longHorizonChangesOnlyTheHorizonAndTheRecords() {
        StudentTeacher.Config d = DemoCommand.preset("default"), l = DemoCommand.preset("long-horizon");
        assertThat(d).isEqualTo(StudentTeacher.Config.defaults());
        assertThat(l.steps()).isEqualTo(300);
        assertThat(l.recordEvery()).isEqualTo(1);
        StudentTeacher.Config back = new StudentTeacher.Config(
                l.cell(),
                l.hidden(),
                l.batch(),
                d.steps(),
                l.dt(),
                l.teacherGain(),
                l.studentGain(),
                l.bulkScale(),
                l.pulse(),
                l.pulseSteps(),
                l.noise(),
                l.lr(),
                l.trainSteps(),
                d.recordEvery(),
                l.ngRank(),
                l.ngRho(),
                l.seeds(),
                "pitchfork",
                0,
                0);
        assertThat(back).isEqualTo(d);
    }

    @Test
    void anUnknownPresetIsRefusedByName() {
        assertThatThrownBy(() -> DemoCommand.preset("longer"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("longer")
                .hasMessageContaining("long-horizon");
        CliTest.Result r = CliTest.run("demo", "--preset", "nope");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("nope");
    }
}
