<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- relocplan default style for villages: colour by relocation class, size by relocating people; candidates labelled -->
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Labeling|Fields" labelsEnabled="1">
 <renderer-v2 type="categorizedSymbol" attr="class" symbollevels="0" forceraster="0" enableorderby="1">
  <categories>
   <category value="relocate_whole" symbol="0" label="relocate whole village 整体搬迁" render="true"/>
   <category value="relocate_registered" symbol="1" label="relocate registered poor households 建档立卡户搬迁" render="true"/>
   <category value="review" symbol="2" label="review 待核实" render="true"/>
   <category value="stay" symbol="3" label="stay 不搬迁" render="true"/>
   <category value="" symbol="4" label="no class 无类别" render="true"/>
  </categories>
  <symbols>
   <symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="name" type="QString" value="circle"/>
      <Option name="color" type="QString" value="215,25,28,255"/>
      <Option name="outline_color" type="QString" value="255,255,255,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.2"/>
      <Option name="size_unit" type="QString" value="MM"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="size" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value='coalesce(scale_linear("relocating_people", 0, 1500, 2.2, 7), 2.2)'/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="name" type="QString" value="circle"/>
      <Option name="color" type="QString" value="253,141,60,255"/>
      <Option name="outline_color" type="QString" value="255,255,255,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.2"/>
      <Option name="size_unit" type="QString" value="MM"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="size" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value='coalesce(scale_linear("relocating_people", 0, 1500, 2.2, 7), 2.2)'/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="name" type="QString" value="circle"/>
      <Option name="color" type="QString" value="117,107,177,255"/>
      <Option name="outline_color" type="QString" value="255,255,255,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.2"/>
      <Option name="size_unit" type="QString" value="MM"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="size" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value='coalesce(scale_linear("relocating_people", 0, 1500, 2.2, 7), 2.2)'/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="name" type="QString" value="circle"/>
      <Option name="color" type="QString" value="26,150,65,255"/>
      <Option name="outline_color" type="QString" value="255,255,255,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.2"/>
      <Option name="size_unit" type="QString" value="MM"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="size" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value='coalesce(scale_linear("relocating_people", 0, 1500, 2.2, 7), 2.2)'/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="name" type="QString" value="circle"/>
      <Option name="color" type="QString" value="150,150,150,255"/>
      <Option name="outline_color" type="QString" value="255,255,255,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.2"/>
      <Option name="size_unit" type="QString" value="MM"/>
     </Option>
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="size" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value='coalesce(scale_linear("relocating_people", 0, 1500, 2.2, 7), 2.2)'/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>
    </layer>
   </symbol>
  </symbols>
  <orderby>
   <orderByClause asc="0" nullsFirst="0">coalesce("relocating_people", 0)</orderByClause>
  </orderby>
 </renderer-v2>
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="CASE WHEN &quot;class&quot; IN ('relocate_whole', 'relocate_registered') THEN &quot;name&quot; END" isExpression="1" fontFamily="WenQuanYi Micro Hei" fontSize="7.5" fontSizeUnit="Point" textColor="40,40,40,255" textOpacity="1" multilineHeight="1">
    <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85"/>
   </text-style>
   <text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>
   <placement placement="0" dist="1" distUnits="MM" offsetType="0" quadOffset="4"/>
   <rendering obstacle="1" displayAll="0" limitNumLabels="0" scaleVisibility="0"/>
  </settings>
 </labeling>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerOpacity>1</layerOpacity>
</qgis>
